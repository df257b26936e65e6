import { randomBytes } from 'node:crypto';
import S from 'better-sqlite3';
import Fastify from 'fastify';
import pino from 'pino';
import { buildApp, createDb, createLogger, serverConfig } from '../../dist/index.js';
const getMinionDetailForBench = undefined;
const url = 'sqlite:/tmp/i12prof/p.sqlite';
const db = createDb({ db: url, dbPoolSize: 4 });
const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: true }) });
const app = await buildApp(serverConfig({ db: url, secretKey: randomBytes(32).toString('hex'), port: 0, auth: 'none' }), { db, logger, scheduler: false });
await app.ready();
const raw = new S('/tmp/i12prof/p.sqlite', { readonly: true });
const C = 'mm.minion_sn, mm.status as minion_status, mm.ips, n.updated_at, m.sn, m.server, m.status, m.idc, m.type, m.last_seen from master_minions as mm inner join masters as m on m.sn = mm.master_sn inner join minions as n on n.sn = mm.minion_sn';
const st = raw.prepare(`select ${C} where mm.minion_sn = ?`);
const floor = Fastify(); floor.get('/api/v1/minions/:sn', async (r) => st.all(r.params.sn)); await floor.ready();
const sn = () => `/api/v1/minions/m-${String(Math.floor(Math.random() * 100000)).padStart(7, '0')}`;
const N = Number(process.env.N ?? 4000);
async function t(name, fn) { const c = process.cpuUsage(); for (let i = 0; i < N; i++) await fn(); const u = process.cpuUsage(c); console.log(name, ((u.user + u.system) / N).toFixed(0), 'µs'); }
for (let r = 0; r < 2; r++) {
  if (!process.env.APPONLY) await t("floor inject", () => floor.inject({ url: sn() }));
  await t('app inject', () => app.inject({ url: sn() }));
  if (getMinionDetailForBench) await t('repo only', () => getMinionDetailForBench(db, sn().slice(16)));
}
await app.close(); await db.destroy();
