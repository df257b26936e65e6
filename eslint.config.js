// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Syntax-level rules only (no type-aware linting): `pnpm typecheck` already runs tsc on every
// package, and the typed rule set would double CI's time on a 2-core machine.
export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '**/.artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node },
    rules: {
      // Frozen migrations take Kysely<any> on purpose (see db/migrations).
      '@typescript-eslint/no-explicit-any': ['error', { ignoreRestArgs: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always'],
      // Stripping NUL and other control characters from text is what these expressions are for.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['packages/server/console/src/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Frozen migrations take Kysely<any>; the dialects' generic statements name tables by a type
    // parameter Kysely cannot type (db/dialects/untyped.ts is their one escape hatch).
    files: ['**/db/migrations/*.ts', '**/db/dialects/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // CommonJS on purpose: bench/rss-hook.cjs (preloaded with --require) and the agent bundle's
    // slim undici entry (packages/agent/build/undici-slim.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Scripts, benchmarks, the demo and test reports print on purpose.
    files: ['**/*.mjs', '**/bench/**', 'scripts/**', 'packages/demo/src/**', 'packages/*/test/**'],
    rules: { 'no-console': 'off' },
  },
);
