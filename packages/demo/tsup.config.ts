import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { demo: 'src/demo.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  clean: true,
  // @act2/* stay external: they resolve to their own built dist/ (built first by `pnpm build`),
  // which in turn find their npm dependencies in their own node_modules.
});
