import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// npm dependencies stay external (they resolve from packages/server/node_modules); the workspace
// contract is bundled from its TypeScript sources.
const common: Options = {
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  // Two builds run side by side: cleaning in one would delete the other's output.
  clean: false,
  noExternal: ['@act2/shared', '@act2/salt-api-client'],
  define: { __ACT2_VERSION__: JSON.stringify(version) },
  esbuildOptions(options) {
    options.conditions = ['source'];
  },
};

export default defineConfig([
  { ...common, entry: { 'act2-server': 'src/server.ts' }, banner: { js: '#!/usr/bin/env node' } },
  { ...common, entry: { index: 'src/index.ts' } },
  // Huge registrations are parsed in this worker (src/register/offload.ts finds it beside the bundle).
  { ...common, entry: { 'register-worker': 'src/register/worker.ts' } },
]);
