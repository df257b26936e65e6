// Bundles the web console (preact + TypeScript) into <outdir>: index.html, console.js, console.css.
// Used by `pnpm build` (into dist/console) and by the browser tests (into a temp dir).
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));

export async function buildConsole(outdir = join(here, '..', 'dist', 'console')) {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { console: join(here, 'src', 'main.tsx') },
    bundle: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir,
    logLevel: 'warning',
  });
  await build({ entryPoints: { console: join(here, 'src', 'console.css') }, bundle: true, minify: true, outdir, logLevel: 'warning' });
  copyFileSync(join(here, 'index.html'), join(outdir, 'index.html'));
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildConsole(process.argv[2]);
