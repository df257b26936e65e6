// Captures real PuppetDB answers into fixtures/puppetdb-captures/: starts Debian's PuppetDB on a
// fresh PostgreSQL database, seeds SEED_NODES through its command API, then records each query of
// CASES verbatim (status, content type, body). The simulator's conformance test replays them.
// Usage (as root, after `pnpm --filter @act2/puppetdb-sim build`): node packages/puppetdb-sim/scripts/capture.mjs
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CASES, SEED_NODES, caseQueryString, deactivateCommand, factsCommand, reportCommand, startRealPuppetDb } from '../dist/index.js';

const out = fileURLToPath(new URL('../../../fixtures/puppetdb-captures/', import.meta.url));
const started = Date.now();
const pdb = await startRealPuppetDb({ poolSize: 3 });
console.log(`PuppetDB running at ${pdb.url} after ${Date.now() - started} ms`);
try {
  const now = Date.now();
  for (const node of SEED_NODES) {
    await pdb.command('replace_facts', 5, node.certname, factsCommand(node, now));
    if (node.reportAgeS !== undefined) await pdb.command('store_report', 8, node.certname, reportCommand(node, now, randomUUID));
  }
  for (const node of SEED_NODES) if (node.deactivate) await pdb.command('deactivate_node', 3, node.certname, deactivateCommand(node.certname, Date.now()));
  const version = await (await fetch(`${pdb.url}/pdb/meta/v1/version`)).json();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const c of CASES) {
    const url = `${pdb.url}${c.path}${caseQueryString(c)}`;
    const res = await fetch(url, { redirect: 'manual', headers: { accept: 'application/json' } });
    const body = await res.text();
    const capture = {
      name: c.name,
      note: c.note,
      puppetdb: version.version,
      captured: new Date().toISOString(),
      request: { method: 'GET', path: c.path, ...(c.query === undefined ? {} : { query: c.query }), ...(c.params ? { params: c.params } : {}) },
      response: { status: res.status, contentType: res.headers.get('content-type'), location: res.headers.get('location')?.replace(pdb.url, '') ?? null, body },
    };
    writeFileSync(`${out}${c.name}.json`, `${JSON.stringify(capture, null, 2)}\n`);
    console.log(c.name, res.status, body.length);
  }
} finally {
  await pdb.stop();
}
