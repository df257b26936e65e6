import { defineConfig } from 'tsup';
import type { Options } from 'tsup';

const common: Options = {
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  splitting: false,
  esbuildOptions(options) {
    // Workspace packages are bundled from their TypeScript sources.
    options.conditions = ['source'];
  },
};

export default defineConfig([
  {
    ...common,
    // The CLI ships as ONE file that runs with only Node on the master: every dependency inlined.
    entry: { 'act2-heartbeat': 'src/cli.ts' },
    noExternal: [/.*/],
    clean: false,
    minify: false,
    // Some inlined CommonJS dependencies call require() for node built-ins; ESM has none.
    banner: { js: "import { createRequire as __act2CreateRequire } from 'node:module';\nconst require = __act2CreateRequire(import.meta.url);" },
  },
  {
    ...common,
    // The library entry for in-process use (demo, end-to-end tests); dependencies stay external.
    entry: { index: 'src/index.ts' },
    noExternal: ['@act2/shared'],
    dts: false,
    clean: false,
  },
]);
