import SqliteDatabase from 'better-sqlite3';
import { importDatabase } from './reads-parts.mjs';
import { existsSync } from 'node:fs';
const file = '/tmp/lk1m.sqlite';
if (!existsSync(file)) await importDatabase('sqlite', `sqlite:${file}`, 1_000_000);
const DETAIL_COLUMNS =
  'mm.minion_sn, mm.status as minion_status, mm.ips, n.updated_at, m.sn, m.server, m.status, m.idc, m.type, m.last_seen ' +
  'from master_minions as mm inner join masters as m on m.sn = mm.master_sn inner join minions as n on n.sn = mm.minion_sn';
const sqls = { ip: `select ${DETAIL_COLUMNS} where mm.minion_sn in (select minion_ips.minion_sn from minion_ips where minion_ips.ip = ?)`, sn: `select ${DETAIL_COLUMNS} where mm.minion_sn = ?` };
const ips = Array.from({length: 30000}, () => { const i = Math.floor(Math.random()*1e6); return Math.random()<0.5 ? `10.${(i>>16)&255}.${(i>>8)&255}.${i&255}` : `172.16.${(i>>8)&255}.${i&255}`; });
const sns = Array.from({length: 30000}, () => 'm-' + String(Math.floor(Math.random()*1e6)).padStart(7, '0'));
const configs = { default: [], cache256: ['cache_size = -262144'], mmap1g: ['mmap_size = 1073741824'] };
const dbs = Object.fromEntries(Object.entries(configs).map(([k, pr]) => { const d = new SqliteDatabase(file); d.pragma('journal_mode = WAL'); for (const p of pr) d.pragma(p); return [k, d]; }));
for (let round = 0; round < 3; round++) for (const [k, db] of Object.entries(dbs)) for (const kind of ['sn', 'ip']) {
  const st = db.prepare(sqls[kind]); const keys = kind === 'ip' ? ips : sns;
  const c = process.cpuUsage(); const t = performance.now(); let n = 0;
  for (const key of keys) n += st.all(key).length;
  const u = process.cpuUsage(c);
  console.log(round, k, kind, ((performance.now()-t)*1000/keys.length).toFixed(1), 'µs/query wall', (u.user/keys.length).toFixed(1), 'user', (u.system/keys.length).toFixed(1), 'sys', n);
}
