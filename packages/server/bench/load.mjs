#!/usr/bin/env node
// The load side of reads.mjs, in its own process so it does not share the server's event loop:
// autocannon with `connections` keep-alive connections for `seconds`, each request a random
// minion (by sn or by IP) of the N the database holds. Prints one JSON line: req/s, p99, errors.
//
//   node load.mjs '{"url":"http://127.0.0.1:PORT","kind":"sn","n":100000,"seconds":5,"connections":50}'
import autocannon from 'autocannon';

const { url, kind, n, seconds, connections } = JSON.parse(process.argv[2]);

const pick = () => Math.floor(Math.random() * n);
const pathFor = {
  sn: () => `/api/v1/minions/m-${String(pick()).padStart(7, '0')}`,
  ip: () => {
    const i = pick();
    return `/api/v1/lookup?ip=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  },
  fixed: () => '/fixed',
}[kind];

const result = await autocannon({
  url,
  connections,
  duration: seconds,
  requests: [{ setupRequest: (req) => ({ ...req, path: pathFor() }) }],
});
const bad = result.non2xx + result.errors + result.timeouts;
process.stdout.write(
  `${JSON.stringify({ rps: result.requests.average, p99: result.latency.p99, bad, total: result.requests.total })}\n`,
);
