/**
 * --probe-concurrency reaches the probes: the real CLI (--dry-run) probes ten silent TCP listeners
 * (they accept and never write, like a host whose sshd hangs), so each probe lasts exactly
 * --probe-timeout and the wall time shows how many ran at once. No sshd needed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from './helpers/run-cli.js';

const HOSTS = 10;

function listenSilently(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.on('close', () => sockets.forEach((s) => s.destroy()));
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('--srv-type openssh probes run --probe-concurrency at a time', () => {
  const servers: Server[] = [];
  let dir: string;
  let roster: string;

  beforeAll(async () => {
    const listeners = await Promise.all(Array.from({ length: HOSTS }, () => listenSilently()));
    servers.push(...listeners.map((l) => l.server));
    dir = mkdtempSync(join(tmpdir(), 'act2-roster-'));
    roster = join(dir, 'roster');
    writeFileSync(roster, listeners.map((l, i) => `silent-${i}:\n  host: 127.0.0.1\n  port: ${l.port}\n`).join(''));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const probe = async (concurrency: number) => {
    const run = await runCliCaptured([
      '--srv-type', 'openssh', '--roster', roster, '--advertise-server', 'http://ssh-proxy.example:8080',
      '--probe-timeout', '500ms', '--probe-concurrency', String(concurrency), '--dry-run', '--master-sn', 'PROXY-1',
    ]);
    expect(run.exitCode, run.text).toBe(0);
    const done = run.logs.find((l) => l.msg === 'ssh probes done');
    expect(done).toMatchObject({ hosts: HOSTS, up: 0, down: HOSTS, reasons: { 'no SSH identification within 500ms': HOSTS } });
    return Number(done?.ms);
  };

  // Upper bounds are generous for a loaded CI machine; the lower ones are what a wrong bound breaks.
  it('with --probe-concurrency 5, ten silent hosts take two rounds of 500 ms', async () => {
    const ms = await probe(5);
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(2500);
  });

  it('with --probe-concurrency 10, one round', async () => {
    const ms = await probe(10);
    expect(ms).toBeGreaterThan(450);
    expect(ms).toBeLessThan(950);
  });
});
