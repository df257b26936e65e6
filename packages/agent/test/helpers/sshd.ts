import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's openssh-server binary (`.ci/run` installs it). */
export const SSHD = '/usr/sbin/sshd';
export const sshdAvailable = existsSync(SSHD) && existsSync('/usr/bin/ssh-keygen');
if (!sshdAvailable && process.env.CI !== 'true') {
  console.warn(`[act2-heartbeat tests] ${SSHD} is not installed (apt-get install openssh-server): real-sshd tests are SKIPPED`);
}
/** Whether the sshd tests run: always with CI=true (and then fail loudly if sshd is missing). */
export const runSshd = sshdAvailable || process.env.CI === 'true';

/** A TCP port nothing listens on right now at `host` (bound, then released). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RealSshd {
  /** host:port pairs sshd listens on, in the order asked. */
  endpoints: Array<{ host: string; port: number }>;
  stop(): Promise<void>;
}

async function waitForBanner(host: string, port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port });
      socket.once('data', (chunk) => {
        socket.destroy();
        resolve(chunk.toString().startsWith('SSH-'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not answer on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A real OpenSSH sshd in the foreground (no daemon, no PAM, its own host key and config in a
 * temp dir) listening on the given loopback addresses, each on a free port.
 */
export async function startSshd(hosts: string[]): Promise<RealSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'act2-sshd-'));
  // Privilege separation needs this directory; Debian creates it only when the service starts.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
  execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')]);
  const endpoints = [];
  for (const host of hosts) endpoints.push({ host, port: await freePort(host) });
  const config = [
    ...endpoints.map((e) => `ListenAddress ${e.host}:${e.port}`),
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AuthorizedKeysFile none',
    'MaxStartups 200:30:400',
    'LogLevel ERROR',
  ].join('\n');
  writeFileSync(join(dir, 'sshd_config'), `${config}\n`);
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (const e of endpoints) await waitForBanner(e.host, e.port, Date.now() + 10_000);
  } catch (error) {
    child.kill('SIGTERM');
    throw new Error(`${(error as Error).message}: ${stderr}`);
  }
  return {
    endpoints,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
