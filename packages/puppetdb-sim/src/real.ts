import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's puppetdb package (7.12): the jar and its bootstrap list. */
export const PUPPETDB_JAR = '/usr/share/puppetdb/puppetdb.jar';
export const PUPPETDB_BOOTSTRAP = '/etc/puppetdb/bootstrap.cfg';
export const puppetDbInstalled = (): boolean => existsSync(PUPPETDB_JAR) && existsSync(PUPPETDB_BOOTSTRAP) && existsSync('/usr/bin/java');

export interface RealPuppetDbOptions {
  /** PostgreSQL superuser connection for psql (trust auth): creates and drops this PuppetDB's own role and database. */
  pg?: { host: string; port: number; user: string };
  /** Connections in each of PuppetDB's pools (write and read): PostgreSQL is shared, keep it small. */
  poolSize?: number;
  /** Milliseconds to wait for PuppetDB to answer; its first start migrates the schema. */
  startTimeoutMs?: number;
  /** Java heap, e.g. 256m. */
  heap?: string;
}

export interface RealPuppetDb {
  /** http://127.0.0.1:<port> */
  url: string;
  database: string;
  /** Posts a command (`replace_facts` v5, `store_report` v8, `deactivate_node` v3) and waits until PuppetDB has processed it. */
  command(command: string, version: number, certname: string, payload: unknown): Promise<void>;
  /** Waits until the command queue is empty. */
  settle(): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function psql(pg: { host: string; port: number; user: string }, database: string, sql: string): Promise<void> {
  await run('psql', ['-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-qc', sql]);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts Debian's real PuppetDB in the foreground on a free localhost port, storing in a new,
 * uniquely named PostgreSQL database (with its own role) that `stop` drops again. Its pools are
 * capped at `poolSize` connections each: PostgreSQL's 100 connections are shared.
 */
export async function startRealPuppetDb(options: RealPuppetDbOptions = {}): Promise<RealPuppetDb> {
  const pg = options.pg ?? { host: '127.0.0.1', port: 5432, user: 'postgres' };
  const poolSize = options.poolSize ?? 3;
  const id = randomBytes(5).toString('hex');
  const database = `act2_puppetdb_${id}`;
  const role = database;
  const password = randomBytes(12).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'act2-puppetdb-'));
  mkdirSync(join(dir, 'conf.d'));
  mkdirSync(join(dir, 'var'));
  await psql(pg, 'postgres', `create role ${role} login password '${password}'`);
  await psql(pg, 'postgres', `create database ${database} owner ${role}`);
  // PuppetDB needs pg_trgm and cannot create it as a non-superuser.
  await psql(pg, database, 'create extension if not exists pg_trgm');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const ini = (sections: Record<string, Record<string, string | number>>) =>
    Object.entries(sections).map(([name, kv]) => `[${name}]\n${Object.entries(kv).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`).join('\n');
  writeFileSync(join(dir, 'conf.d', 'config.ini'), ini({ global: { vardir: join(dir, 'var'), 'logging-config': join(dir, 'logback.xml') }, 'command-processing': { threads: 1 } }));
  const db = { subname: `//${pg.host}:${pg.port}/${database}`, username: role, password, 'maximum-pool-size': poolSize };
  writeFileSync(join(dir, 'conf.d', 'database.ini'), ini({ database: db, 'read-database': db }));
  writeFileSync(join(dir, 'conf.d', 'jetty.ini'), ini({ jetty: { host: '127.0.0.1', port } }));
  if (existsSync('/etc/puppetdb/conf.d/auth.conf')) copyFileSync('/etc/puppetdb/conf.d/auth.conf', join(dir, 'conf.d', 'auth.conf'));
  writeFileSync(
    join(dir, 'logback.xml'),
    `<configuration><appender name="F" class="ch.qos.logback.core.FileAppender"><file>${join(dir, 'puppetdb.log')}</file><encoder><pattern>%d %-5p [%c{2}] %m%n</pattern></encoder></appender><root level="info"><appender-ref ref="F"/></root></configuration>\n`,
  );
  const child: ChildProcess = spawn(
    '/usr/bin/java',
    [`-Xmx${options.heap ?? '256m'}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.security.egd=file:/dev/urandom', '-cp', PUPPETDB_JAR, 'clojure.main', '-m', 'puppetlabs.puppetdb.core', 'services', '--config', join(dir, 'conf.d'), '--bootstrap-config', PUPPETDB_BOOTSTRAP],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const log = () => {
    const file = join(dir, 'puppetdb.log');
    return `${output}\n${existsSync(file) ? readFileSync(file, 'utf8') : ''}`;
  };
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([exit, delay(20_000)]);
      if (!exited) child.kill('SIGKILL');
      await exit;
    }
    await psql(pg, 'postgres', `drop database if exists ${database} with (force)`).catch(() => undefined);
    await psql(pg, 'postgres', `drop role if exists ${role}`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 240_000);
  try {
    for (;;) {
      if (exited) throw new Error('PuppetDB exited during startup');
      const state = await fetch(`${url}/status/v1/services/puppetdb-status`).then((r) => r.json() as Promise<{ state?: string }>).catch(() => undefined);
      if (state?.state === 'running') break;
      if (Date.now() > deadline) throw new Error('PuppetDB did not reach state running in time');
      await delay(1000);
    }
  } catch (error) {
    const text = log();
    await stop();
    throw new Error(`${(error as Error).message}\n${text.slice(-4000)}`);
  }

  async function queueDepth(): Promise<number> {
    const status = (await (await fetch(`${url}/status/v1/services/puppetdb-status`)).json()) as { status?: { queue_depth?: number } };
    return status.status?.queue_depth ?? 0;
  }
  async function settle(): Promise<void> {
    for (let i = 0; i < 600; i += 1) {
      if ((await queueDepth()) === 0) return;
      await delay(100);
    }
    throw new Error('PuppetDB command queue did not drain');
  }
  async function command(name: string, version: number, certname: string, payload: unknown): Promise<void> {
    const params = new URLSearchParams({ command: name, version: String(version), certname, secondsToWaitForCompletion: '30' });
    const res = await fetch(`${url}/pdb/cmd/v1?${params.toString()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`PuppetDB ${name} for ${certname}: HTTP ${res.status} ${text}`);
    await settle();
  }
  return { url, database, command, settle, log, stop };
}
