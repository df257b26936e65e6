#!/usr/bin/env node
// Makes the act2-server release: one tarball with dist/ (the server and the web console), the
// production node_modules, the README and the deploy/ files. Unpack it anywhere and run
// `node act2-server/dist/act2-server.js`: nothing else from the checkout is needed.
//
//   npx -y pnpm@10 --filter @act2/server pack:tarball [out-dir]     (default: <repo>/release)
//
// better-sqlite3 is a native module: the tarball holds the binary built or downloaded for THIS
// machine's platform, Node ABI and libc. Build it on the OS the servers run (or a twin).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const repo = resolve(pkgDir, '..', '..');
const outDir = resolve(process.argv[2] ?? join(repo, 'release'));
const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const name = `act2-server-${version}-${process.platform}-${process.arch}-node${process.versions.node.split('.')[0]}.tgz`;

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });

run('npx', ['-y', 'pnpm@10', '--filter', '@act2/server', 'run', 'build'], repo);
const stage = mkdtempSync(join(tmpdir(), 'act2-pack-'));
try {
  const root = join(stage, 'act2-server');
  // pnpm deploy: the package's files plus its production dependencies, workspace links resolved.
  run('npx', ['-y', 'pnpm@10', '--filter', '@act2/server', 'deploy', '--prod', '--legacy', root], repo);
  cpSync(join(repo, 'deploy'), join(root, 'deploy'), { recursive: true });
  mkdirSync(outDir, { recursive: true });
  run('tar', ['-czf', join(outDir, name), '-C', stage, 'act2-server'], repo);
  process.stdout.write(`${join(outDir, name)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
