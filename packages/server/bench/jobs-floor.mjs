#!/usr/bin/env node
// The floor of a job's dispatch, for jobs.mjs: the least any server can do between receiving
// `POST /jobs {target: {minions: [sn…]}, fun}` and salt-api's local_async answers, given what issue 8
// asks (the job recorded durably before salt-api is called). Over plain node:http, it reads and parses
// the body, finds each sn's master (`memory`: in a Map; `sqlite`: with one query on a (master, minion)
// table of the same SQLite file, indexed by minion, as a server keeping its registry in the database
// must; neither reads a status or orders failover candidates), commits the job and its targets grouped
// per master as one row to SQLite (WAL, synchronous NORMAL, as act2-server's), answers 202, then sends
// one local_async per master in parallel with undici (tokens kept per master, as act2-server and the
// bare client keep them), logging a `dispatched` line for each answer. It validates nothing, keeps no
// audit, follows no jid: a measuring stick, not a server.
//
//   node jobs-floor.mjs <sqlite file> <masters JSON file: [{sn, url, ids}]> <salt-api password> \
//     <memory | sqlite>
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Agent } from 'undici';
import { saltPost } from './salt-post.mjs';

const [file, mastersFile, password, lookup = 'memory'] = process.argv.slice(2);
if (!['memory', 'sqlite'].includes(lookup)) throw new Error('lookup: memory or sqlite');
const masters = JSON.parse(readFileSync(mastersFile, 'utf8'));
const bySn = new Map(masters.map((m) => [m.sn, m]));
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('create table if not exists jobs (id text primary key, fun text not null, targets text not null)');
const insert = db.prepare('insert into jobs (id, fun, targets) values (?, ?, ?)');
// Only the lookup this floor uses: the pairs in a Map, or in a table of the same SQLite file.
const masterOf = new Map();
let pairsOf;
if (lookup === 'memory') {
  for (const m of masters) for (const id of m.ids) masterOf.set(id, m);
} else {
  db.exec('create table if not exists pairs (master_sn text not null, minion_sn text not null, primary key (master_sn, minion_sn))');
  db.exec('create index if not exists pairs_minion on pairs (minion_sn)');
  const pair = db.prepare('insert or ignore into pairs (master_sn, minion_sn) values (?, ?)');
  db.transaction(() => {
    for (const m of masters) for (const id of m.ids) pair.run(m.sn, id);
  })();
  pairsOf = db.prepare(
    'select master_sn, group_concat(minion_sn, char(10)) as sns from pairs where minion_sn in (select value from json_each(?)) group by master_sn',
  );
}

/** Each master's targets among `sns`. */
function groupsOf(sns) {
  const groups = new Map();
  if (pairsOf) {
    for (const row of pairsOf.all(JSON.stringify(sns))) groups.set(bySn.get(row.master_sn), row.sns.split('\n'));
    return groups;
  }
  for (const sn of sns) {
    const m = masterOf.get(sn);
    if (!m) continue;
    let group = groups.get(m);
    if (!group) groups.set(m, (group = []));
    group.push(sn);
  }
  return groups;
}
const dispatcher = new Agent({ connections: 16, keepAliveTimeout: 30_000 });
const headers = { 'content-type': 'application/json', accept: 'application/json' };

const tokens = new Map();
for (const m of masters) tokens.set(m.sn, (await saltPost(dispatcher, `${m.url}/login`, { username: 'salt-api', password, eauth: 'pam' })).token);

const log = (fields) => process.stdout.write(`${JSON.stringify({ time: Date.now(), ...fields })}\n`);

const server = createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const { target, fun } = JSON.parse(Buffer.concat(parts).toString('utf8'));
    const groups = groupsOf(target.minions);
    const id = randomUUID();
    insert.run(id, fun, JSON.stringify([...groups].map(([m, sns]) => [m.sn, sns])));
    res.writeHead(202, headers).end(JSON.stringify({ id }));
    for (const [m, sns] of groups) {
      saltPost(dispatcher, m.url, [{ client: 'local_async', tgt: sns, tgt_type: 'list', fun, arg: [], kwarg: {}, metadata: { act2_job: id } }], tokens.get(m.sn))
        .then((answer) => log({ msg: 'dispatched', job: id, master: m.sn, jid: answer.jid, listed: answer.minions.length }))
        .catch((err) => log({ msg: 'dispatch failed', job: id, master: m.sn, err: String(err) }));
    }
  });
});
server.listen(0, '127.0.0.1', () => log({ msg: 'listening', url: `http://127.0.0.1:${server.address().port}` }));
process.on('SIGTERM', () => {
  server.close();
  db.close();
  process.exit(0);
});
