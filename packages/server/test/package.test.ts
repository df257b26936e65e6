import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

describe('the act2-server release tarball', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('unpacks anywhere and runs with node alone: API, console and docs served, deploy files inside', async () => {
    const out = mkdtempSync(join(tmpdir(), 'act2-release-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'act2-installed-'));
    dirs.push(out, elsewhere);
    execFileSync('node', ['scripts/pack-tarball.mjs', out], { cwd: PACKAGE_DIR, stdio: 'pipe' });
    const [tarball] = readdirSync(out).filter((f) => f.endsWith('.tgz'));
    execFileSync('tar', ['-xzf', join(out, tarball!), '-C', elsewhere]);
    const root = join(elsewhere, 'act2-server');

    // cwd and every path outside the checkout: nothing can resolve from the workspace's node_modules.
    const child = spawn(process.execPath, [join(root, 'dist', 'act2-server.js'), '--port', '0', '--host', '127.0.0.1', '--db', join(elsewhere, 'data', 'act2.sqlite'), '--metrics-allow', '127.0.0.1/32'], {
      cwd: elsewhere,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          const found = /"url":"(http:[^"]+)"/.exec(stdout)?.[1];
          if (found) resolve(found);
        });
        child.stderr.on('data', (c: Buffer) => (stdout += c.toString()));
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stdout}`)));
      });
      const [health, page, docs, metrics, masters] = await Promise.all(['/healthz', '/', '/openapi.json', '/metrics', '/api/v1/masters'].map((p) => fetch(`${url}${p}`)));

      expect(tarball).toMatch(/^act2-server-\d+\.\d+\.\d+-linux-x64-node20\.tgz$/);
      // Data needs a token (auth is on by default); /metrics is open to the --metrics-allow address.
      expect([health!.status, page!.status, docs!.status, metrics!.status, masters!.status]).toEqual([200, 200, 200, 200, 401]);
      expect(await page!.text()).toContain('console.js');
      expect(((await docs!.json()) as { info: { version: string } }).info.version).toMatch(/^\d+\.\d+\.\d+$/);
      // The registration worker that parses huge registrations (register/offload.ts) ships beside the server.
      for (const file of ['README.md', 'deploy/systemd/act2-server.service', 'deploy/nginx/act2.conf', 'node_modules/better-sqlite3', 'dist/register-worker.js', 'node_modules/secure-json-parse']) {
        expect(existsSync(join(root, file)), file).toBe(true);
      }
      expect(existsSync(join(root, 'src'))).toBe(false);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 180_000);
});
