// Preloaded with `node --require` into a benchmarked process: at exit it writes the process's
// peak resident set size (KiB) and the CPU time it used (user + system, µs) to $BENCH_RSS_FILE,
// so the benchmark reads the true peak and CPU of the child rather than sampling them from outside.
// CommonJS and --require, not an ES module and --import: --import starts the ESM loader, which then
// loads a CommonJS main (the agent's single-file bundle) through its CommonJS translator and scans
// the whole file for its exports first; that cost 165 ms of CPU on the 2.5 MB bundle, a cost a
// cron-started `node act2-heartbeat.js` never pays. --require changes nothing for an ESM main.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');

/**
 * Peak RSS in KiB: VmHWM of this process's own memory map on Linux. Not getrusage's maxRSS there:
 * Linux carries the forked copy of the parent's high-water mark across exec, so a child spawned by
 * a big benchmark process (the simulator and the server live in it) reported the parent's RSS.
 */
function peakRssKiB() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, `${peakRssKiB()} ${usage.userCPUTime + usage.systemCPUTime}`);
  });
}
