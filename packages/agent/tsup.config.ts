import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';
import type { Options } from 'tsup';

const common: Options = {
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  splitting: false,
  clean: false,
  esbuildOptions(options) {
    // Workspace packages are bundled from their TypeScript sources.
    options.conditions = ['source'];
  },
};

const slimUndici: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'slim-undici',
  setup(build) {
    // Only the bare `undici` import of our own code; undici's own files keep their requires.
    build.onResolve({ filter: /^undici$/ }, () => ({ path: fileURLToPath(new URL('./build/undici-slim.cjs', import.meta.url)) }));
  },
};

// `tsup --out-dir <dir>` (the bundle test) must get its package.json marker in <dir> too.
export default defineConfig((cli): Options[] => {
  const outDir = cli.outDir ?? 'dist';
  return [
    {
      ...common,
      // The CLI ships as ONE file that runs with only Node on the master: every dependency
      // inlined. CommonJS, because an ESM `.js` copied alone (no package.json "type") only runs
      // on Node >= 20.19 (module detection) and an extensionless copy in /usr/local/bin never
      // does; CJS runs in both cases on every Node 20.
      entry: { 'act2-heartbeat': 'src/cli.ts' },
      format: ['cjs'],
      outExtension: () => ({ js: '.js' }),
      noExternal: [/.*/],
      minify: false,
      esbuildPlugins: [slimUndici],
      // Inside the repo, packages/agent/package.json says "type": "module", which would make
      // node read dist/act2-heartbeat.js as ESM: this marker scopes dist/ back to CommonJS.
      async onSuccess() {
        await writeFile(join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
      },
    },
    {
      ...common,
      // The library entry for in-process use; dependencies stay external. `.mjs`, because
      // dist/ is a CommonJS scope (see above).
      entry: { index: 'src/index.ts' },
      format: ['esm'],
      outExtension: () => ({ js: '.mjs' }),
      noExternal: ['@act2/shared', '@act2/salt-api-client'],
      dts: false,
    },
  ];
});
