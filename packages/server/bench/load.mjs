#!/usr/bin/env node
// The load side of reads.mjs, in its own process so it does not share the server's event loop:
// autocannon with `connections` keep-alive connections for `seconds`, each request a random
// minion (by sn or by IP) of the N the database holds: uniformly, or with `"skew":"zipf"` by a Zipf
// law (s = 1: minion k is asked with a weight 1/k, so the 1% most asked minions get about 2/3 of
// the requests at 1M). Prints one JSON line: req/s, p99, errors.
//
//   node load.mjs '{"url":"http://127.0.0.1:PORT","kind":"sn","n":100000,"seconds":5,"connections":50[,"skew":"zipf"]}'
import autocannon from 'autocannon';

const { url, kind, n, seconds, connections, skew = 'uniform' } = JSON.parse(process.argv[2]);

// Zipf (s = 1) by its continuous inverse: rank r = n^u lands in [1, n) with a density ∝ 1/r.
const pick = skew === 'zipf' ? () => Math.floor(n ** Math.random()) - 1 : () => Math.floor(Math.random() * n);
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
