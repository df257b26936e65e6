import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Workspace packages export their TypeScript sources under the `source` condition,
    // so tests never need a build first.
    conditions: ['source'],
  },
  // Vite 6+ resolves imports of server-side (node) code with `ssr.resolve.conditions`; without
  // this, `@act2/shared` resolves to its unbuilt dist/ and every cross-package import fails.
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
