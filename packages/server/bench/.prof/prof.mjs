import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import pino from 'pino';
import { buildApp, createDb, createLogger, runMigrations, serverConfig } from '/work/wt/issue12/packages/server/dist/index.js';
const url = 'sqlite:/tmp/i12prof/p.sqlite';
const kind = process.argv[2] ?? 'sn';
const db = createDb({ db: url, dbPoolSize: 4 });
await runMigrations(db);
if (!process.env.SKIP_IMPORT) {
  const raw = new SqliteDatabase('/tmp/i12prof/p.sqlite');
  const now = Date.now();
  const ser = (n) => `from (with recursive s(i) as (select 0 union all select i + 1 from s where i < ${n - 1}) select i from s)`;
  const sn = `'m-' || substr('0000000' || i, -7, 7)`;
  const ip = `'10.' || ((i >> 16) & 255) || '.' || ((i >> 8) & 255) || '.' || (i & 255)`;
  raw.exec(`insert into masters (sn, server, status, idc, type, minion_count, first_seen, last_seen, status_changed_at) select 'master-' || i, 'http://x', 'running', 'b', 'salt', 1000, ${now}, ${now}, ${now} ${ser(100)}`);
  raw.exec(`insert into minions (sn, first_seen, updated_at) select ${sn}, ${now}, ${now} ${ser(100000)}`);
  raw.exec(`insert into master_minions (master_sn, minion_sn, status, ips, joined_at, updated_at) select 'master-' || (i / 1000), ${sn}, 'running', '["' || ${ip} || '"]', ${now}, ${now} ${ser(100000)}`);
  raw.exec(`insert into minion_ips (master_sn, minion_sn, ip) select 'master-' || (i / 1000), ${sn}, ${ip} ${ser(100000)}`);
  raw.exec('analyze'); raw.close();
}
const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: true }) });
const app = await buildApp(serverConfig({ db: url, secretKey: randomBytes(32).toString('hex'), port: 0, auth: 'none' }), { db, logger, scheduler: false });
const u = await app.listen({ host: '127.0.0.1', port: 0 });
const { spawn } = await import('node:child_process');
const child = spawn(process.execPath, ['/work/wt/issue12/packages/server/bench/load.mjs', JSON.stringify({ url: u, kind, n: 100000, seconds: 6, connections: 50 })], { stdio: 'inherit' });
await new Promise((r) => child.on('exit', r));
await app.close(); await db.destroy();
