// Loaded with `node --import` into a benchmarked process: at exit it writes the process's
// peak resident set size (KiB) to $BENCH_RSS_FILE, so the benchmark reads the true peak of the
// child rather than sampling it from outside.
import { writeFileSync } from 'node:fs';

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    writeFileSync(target, String(process.resourceUsage().maxRSS));
  });
}
