// Loaded with `node --import` into a benchmarked process: at exit it writes the process's
// peak resident set size (KiB) and the CPU time it used (user + system, µs) to $BENCH_RSS_FILE,
// so the benchmark reads the true peak and CPU of the child rather than sampling them from outside.
import { writeFileSync } from 'node:fs';

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, `${usage.maxRSS} ${usage.userCPUTime + usage.systemCPUTime}`);
  });
}
