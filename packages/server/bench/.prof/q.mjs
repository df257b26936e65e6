import S from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import { createDb } from '../../dist/index.js';
const db = new S('/tmp/i12prof/p.sqlite', { readonly: true });
const C = 'mm.minion_sn, mm.status as minion_status, mm.ips, n.updated_at, m.sn, m.server, m.status, m.idc, m.type, m.last_seen from master_minions as mm inner join masters as m on m.sn = mm.master_sn inner join minions as n on n.sn = mm.minion_sn';
const floor = db.prepare(`select ${C} where mm.minion_sn = ?`);
const k = createDb({ db: 'sqlite:/tmp/i12prof/p.sqlite', dbPoolSize: 1 });
const compiled = k.selectFrom('master_minions as mm').innerJoin('masters as m', 'm.sn', 'mm.master_sn').innerJoin('minions as n', 'n.sn', 'mm.minion_sn').select(['mm.minion_sn', 'mm.status as minion_status', 'mm.ips', 'n.updated_at', 'm.sn', 'm.server', 'm.status', 'm.idc', 'm.type', 'm.last_seen']).where('mm.minion_sn', '=', 'x').compile();
console.log(compiled.sql);
const app = db.prepare(compiled.sql);
console.log(db.prepare('explain query plan ' + compiled.sql).all('m-0000001'));
const sn = () => `m-${String(Math.floor(Math.random() * 100000)).padStart(7, '0')}`;
for (const [name, st] of [['floor', floor], ['app', app], ['floor', floor], ['app', app]]) {
  const t = performance.now(); for (let i = 0; i < 20000; i++) st.all(sn()); console.log(name, ((performance.now() - t) / 20000 * 1000).toFixed(1), 'µs');
}
const t = performance.now(); for (let i = 0; i < 5000; i++) await k.executeQuery(CompiledQuery.raw(compiled.sql, [sn()])); console.log('kysely no cache', ((performance.now() - t) / 5000 * 1000).toFixed(1), 'µs');
await k.destroy();
