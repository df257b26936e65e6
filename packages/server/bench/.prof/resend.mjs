import { randomBytes } from 'node:crypto';
import { buildApp, createDb, runMigrations, serverConfig } from '../../dist/index.js';
const url = 'sqlite:/tmp/i12prof/r.sqlite';
const db = createDb({ db: url, dbPoolSize: 4 });
await runMigrations(db);
const app = await buildApp(serverConfig({ db: url, secretKey: randomBytes(32).toString('hex'), port: 0, auth: 'none' }), { db, scheduler: false });
await app.ready();
const body = JSON.stringify({
  master: { sn: 'mx', server: 'http://127.0.0.1:8001', status: 'running', idc: 'bench', type: 'salt', options: { username: 'salt-api', password: 'pw' } },
  minions: Array.from({ length: 10000 }, (_, i) => ({ sn: `m-${String(i).padStart(6, '0')}`, status: i % 17 === 0 ? 'stopped' : 'running', ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `172.16.${(i >> 8) & 255}.${i & 255}`] })),
});
const post = () => app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: body });
await post();
const N = Number(process.env.N ?? 30);
const t = performance.now();
for (let i = 0; i < N; i++) { const r = await post(); if (r.statusCode !== 200) throw new Error(r.body); }
console.log('resend', ((performance.now() - t) / N).toFixed(1), 'ms');
await app.close(); await db.destroy();
