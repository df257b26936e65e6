import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// A test or document that cites a benchmark must cite one that exists (a test once pointed at
// bench/responsive.mjs, which never did).

const server = fileURLToPath(new URL('..', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : /\.(ts|mjs|md)$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

it('every server benchmark named in the server sources, tests and BENCHMARKS.md exists', () => {
  const cited = new Set<string>();
  const cite = (text: string, pattern: RegExp) => {
    for (const match of text.matchAll(pattern)) cited.add(match[1]!);
  };
  const self = fileURLToPath(import.meta.url);
  for (const file of [...files(join(server, 'src')), ...files(join(server, 'test'))].filter((f) => f !== self)) {
    cite(readFileSync(file, 'utf8'), /\bbench\/([\w-]+\.mjs)/g);
  }
  cite(readFileSync(join(server, '../../BENCHMARKS.md'), 'utf8'), /packages\/server\/bench\/([\w-]+\.mjs)/g);
  expect(cited.size).toBeGreaterThan(0);
  expect([...cited].filter((name) => !existsSync(join(server, 'bench', name)))).toEqual([]);
});
