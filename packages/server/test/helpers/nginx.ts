import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nginx binary, or undefined when the machine has none (outside CI the HA test then skips). */
export function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx', 'nginx']) {
    const probe = spawnSync(candidate, ['-v'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => socket.end(() => resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}`);
}

export interface Nginx {
  url: string;
  /** The access log, one line per proxied request, in deploy/nginx/act2.conf's `act2` format. */
  accessLog(): string[];
  close(): Promise<void>;
}

/** The nginx file operators install (deploy/nginx/act2.conf). */
export const DEPLOY_NGINX_CONF = fileURLToPath(new URL('../../../../deploy/nginx/act2.conf', import.meta.url));

/**
 * deploy/nginx/act2.conf with its example upstream servers, listen address and access log path
 * replaced, and nothing else touched. Throws when the file no longer has the expected shape, so the
 * HA test cannot silently stop testing the shipped file.
 */
export function renderDeployNginxConf(text: string, options: { upstreams: string[]; listen: string; accessLog: string }): string {
  const replaceOnce = (pattern: RegExp, replacement: (match: string) => string, what: string, input: string) => {
    const matches = input.match(new RegExp(pattern.source, 'gm'));
    if (!matches || matches.length !== 1) throw new Error(`deploy/nginx/act2.conf: expected exactly one ${what}, found ${matches?.length ?? 0}`);
    return input.replace(new RegExp(pattern.source, 'm'), replacement);
  };
  // Every example `server host:port <parameters>;` line of the upstream block becomes one line per
  // real instance, with the file's own parameters (max_fails, fail_timeout).
  let out = replaceOnce(
    /^( +)server \S+:\d+ ([^;]*);\n(?:\1server \S+:\d+ [^;]*;\n)*/,
    (block) => {
      const [, indent = '', params = ''] = /^( +)server \S+ ([^;]*);/.exec(block) ?? [];
      return options.upstreams.map((u) => `${indent}server ${u} ${params};\n`).join('');
    },
    'run of upstream server lines',
    text,
  );
  out = replaceOnce(/^( +)listen [^;]+;/, (line) => line.replace(/listen [^;]+;/, `listen ${options.listen};`), 'listen directive', out);
  out = replaceOnce(/^( +)access_log \S+ act2;/, (line) => line.replace(/access_log \S+/, `access_log ${options.accessLog}`), 'access_log directive', out);
  return out;
}

/**
 * Starts a private nginx (own prefix, pid, logs and temp dirs under a tmp folder) whose http block
 * includes the shipped deploy/nginx/act2.conf, rendered for `upstreams` (`host:port`).
 */
export async function startNginx(binary: string, upstreams: string[]): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'act2-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const port = await freePort();
  writeFileSync(
    join(dir, 'act2.conf'),
    renderDeployNginxConf(readFileSync(DEPLOY_NGINX_CONF, 'utf8'), { upstreams, listen: `127.0.0.1:${port}`, accessLog: `${dir}/access.log` }),
  );
  // Only the process plumbing of a private nginx lives here; the HA configuration is the shipped file.
  // Started as root, nginx runs its workers as `nobody`, who cannot write request bodies larger
  // than client_body_buffer_size (16 KiB) to the 0700 temp dir: every such request would be a 500.
  const workerUser = process.getuid?.() === 0 ? 'user root;\n' : '';
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
${workerUser}daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/act2.conf;
}
`,
  );
  const child: ChildProcess = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    await waitForPort(port, 5000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${String(err)}: ${stderr}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    accessLog: () => {
      try {
        return readFileSync(join(dir, 'access.log'), 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
