import SqliteDatabase from 'better-sqlite3';
const file = '/tmp/lk1m.sqlite';
const DETAIL_COLUMNS =
  'mm.minion_sn, mm.status as minion_status, mm.ips, n.updated_at, m.sn, m.server, m.status, m.idc, m.type, m.last_seen ' +
  'from master_minions as mm inner join masters as m on m.sn = mm.master_sn inner join minions as n on n.sn = mm.minion_sn';
const sqls = {
  ip: `select ${DETAIL_COLUMNS} where mm.minion_sn in (select minion_ips.minion_sn from minion_ips where minion_ips.ip = ?)`,
  ipPlus: `select ${DETAIL_COLUMNS} where mm.minion_sn in (select minion_ips.minion_sn from minion_ips where minion_ips.ip = +?)`,
  sn: `select ${DETAIL_COLUMNS} where mm.minion_sn = ?`,
  snPlus: `select ${DETAIL_COLUMNS} where mm.minion_sn = +?`,
};
const ips = Array.from({length: 30000}, () => { const i = Math.floor(Math.random()*1e6); return Math.random()<0.5 ? `10.${(i>>16)&255}.${(i>>8)&255}.${i&255}` : `172.16.${(i>>8)&255}.${i&255}`; });
const sns = Array.from({length: 30000}, () => 'm-' + String(Math.floor(Math.random()*1e6)).padStart(7, '0'));
const db = new SqliteDatabase(file); db.pragma('journal_mode = WAL'); db.pragma('mmap_size = 268435456');
for (const k of Object.keys(sqls)) console.log(k, db.prepare('explain query plan ' + sqls[k]).all('x').map(r=>r.detail).join(' | '));
for (let round = 0; round < 3; round++) for (const kind of Object.keys(sqls)) {
  const st = db.prepare(sqls[kind]); const keys = kind.startsWith('ip') ? ips : sns;
  const c = process.cpuUsage(); let n = 0;
  for (const key of keys) n += st.all(key).length;
  const u = process.cpuUsage(c);
  console.log(round, kind, ((u.user+u.system)/keys.length).toFixed(1), 'µs CPU/query', n);
}
