// Preloaded with `node --require` into a benchmarked process: at exit it writes the process's
// peak resident set size (KiB) and the CPU time it used (user + system, µs) to $BENCH_RSS_FILE,
// so the benchmark reads the true peak and CPU of the child rather than sampling them from outside.
// CommonJS and --require, not an ES module and --import: --import starts the ESM loader, which then
// loads a CommonJS main (the agent's single-file bundle) through its CommonJS translator and scans
// the whole file for its exports first; that cost 165 ms of CPU on the 2.5 MB bundle, a cost a
// cron-started `node act2-heartbeat.js` never pays. --require changes nothing for an ESM main.
'use strict';
const { writeFileSync } = require('node:fs');

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, `${usage.maxRSS} ${usage.userCPUTime + usage.systemCPUTime}`);
  });
}
