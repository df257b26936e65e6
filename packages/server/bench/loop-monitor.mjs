// Preloaded into the server by hostile.mjs (ACT2_BENCH_LOOP_MONITOR=1, `node --import`): tells the
// server's own synchronous steps apart from the time its main thread waits for a CPU on a busy
// machine. A 2 ms timer ticks on the main thread; between two ticks the thread's CPU time (from
// /proc/thread-self/schedstat) is what ran there without letting a timer in: the longest such
// stretch is the longest step a request could have waited behind. SIGUSR2 starts a measurement
// and, at the next SIGUSR2, writes it as JSON to $ACT2_LOOP_MONITOR_FILE.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.ACT2_LOOP_MONITOR_FILE;
const cpuMs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;

let stats;
let lastCpu = cpuMs();
let lastWall = performance.now();
setInterval(() => {
  const cpu = cpuMs();
  const wall = performance.now();
  if (stats) {
    const stepCpu = cpu - lastCpu;
    const gap = wall - lastWall;
    stats.ticks += 1;
    if (stepCpu > stats.longestStepCpuMs) stats.longestStepCpuMs = stepCpu;
    if (gap > stats.longestGapMs) {
      stats.longestGapMs = gap;
      stats.longestGapCpuMs = stepCpu;
    }
    if (stepCpu > 20) stats.stepsOver20MsCpu += 1;
    if (gap > 100) stats.gapsOver100Ms += 1;
  }
  lastCpu = cpu;
  lastWall = wall;
}, 2).unref();

process.on('SIGUSR2', () => {
  if (stats === undefined) {
    stats = { ticks: 0, longestStepCpuMs: 0, longestGapMs: 0, longestGapCpuMs: 0, stepsOver20MsCpu: 0, gapsOver100Ms: 0 };
    return;
  }
  const round = (x) => Math.round(x * 10) / 10;
  if (file) writeFileSync(file, JSON.stringify(Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, round(v)]))));
  stats = undefined;
});
