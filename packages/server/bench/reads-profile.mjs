#!/usr/bin/env node
// Profiling aid for reads.mjs: the act2-server app alone on a database of N minions, under the
// same load (load.mjs in another process), so `node --cpu-prof` sees only the server's work.
//
//   node --cpu-prof --cpu-prof-dir /tmp/prof packages/server/bench/reads-profile.mjs [--dialect sqlite|postgres] [--minions 100000] [--kind sn|ip] [--seconds 10] [--floor]
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { buildApp, createDb, createLogger, serverConfig } from '../dist/index.js';
import { bareServers, importDatabase } from './reads-parts.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const DIALECT = flag('--dialect', 'sqlite');
const MINIONS = Number(flag('--minions', 100_000));
const KINDS = flag('--kind', 'sn').split(',');
const SECONDS = Number(flag('--seconds', 10));
const PG_ADMIN = process.env.ACT2_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const LOAD = fileURLToPath(new URL('./load.mjs', import.meta.url));
const run = promisify(execFile);

const dir = mkdtempSync(join(tmpdir(), 'act2-reads-prof-'));
let url = `sqlite:${join(dir, 'reads.sqlite')}`;
let drop = async () => undefined;
if (DIALECT === 'postgres') {
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  const database = `act2_prof_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${database}`);
  const u = new URL(PG_ADMIN);
  u.pathname = `/${database}`;
  url = u.toString();
  drop = async () => {
    await admin.query(`drop database ${database} with (force)`);
    await admin.end();
  };
}
try {
  await importDatabase(DIALECT, url, MINIONS);
  const db = createDb({ db: url, dbPoolSize: 4 });
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: true }) });
  const app = await buildApp(serverConfig({ db: url, secretKey: randomBytes(32).toString('hex'), port: 0, auth: 'none', dbPoolSize: 4 }), {
    db,
    logger,
    scheduler: false,
  });
  const bare = args.includes('--floor') ? await bareServers(DIALECT, url, 4) : undefined;
  const appUrl = bare ? bare.floor : await app.listen({ host: '127.0.0.1', port: 0 });
  if (args.includes('--pause')) { console.log(appUrl); await new Promise((r) => setTimeout(r, Number(flag('--pause')) * 1000)); }
  for (const kind of KINDS) {
    const cpu = process.cpuUsage();
    const { stdout } = await run(process.execPath, [LOAD, JSON.stringify({ url: appUrl, kind, n: MINIONS, seconds: SECONDS, connections: 50 })]);
    const result = JSON.parse(stdout.trim().split('\n').pop());
    const used = process.cpuUsage(cpu);
    console.log(kind, JSON.stringify({ ...result, cpuUs: Math.round((used.user + used.system) / result.total), userUs: Math.round(used.user / result.total), sysUs: Math.round(used.system / result.total) }));
  }
  await app.close();
  await db.destroy();
  await bare?.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
  await drop();
}
