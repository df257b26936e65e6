// Shared by the collector benchmarks: spawn a process as cron would, with its wall time and its
// true peak RSS and CPU (written by rss-hook.cjs at exit), and the median of several runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rssHook = fileURLToPath(new URL('./rss-hook.cjs', import.meta.url));

export function runProcess(args, env, { okCodes = [0] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'act2-bench-'));
  const rssFile = join(dir, 'rss');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--require', rssHook, ...args], {
      env: { PATH: process.env.PATH, BENCH_RSS_FILE: rssFile, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      let rssKiB = NaN;
      let cpuMs = NaN;
      try {
        const [rss, cpu] = readFileSync(rssFile, 'utf8').split(' ');
        rssKiB = Number(rss);
        cpuMs = Number(cpu) / 1000;
      } catch {
        // the child died before writing its peak RSS and CPU: reported as unknown
      }
      rmSync(dir, { recursive: true, force: true });
      if (!okCodes.includes(code)) reject(new Error(`exit ${code}: ${out.slice(-2000)}`));
      else resolve({ ms, cpuMs, rssMiB: rssKiB / 1024, out });
    });
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function measure(label, args, env, runs, options) {
  const samples = [];
  for (let i = 0; i < runs; i += 1) samples.push(await runProcess(args, env, options));
  const result = { label, ms: median(samples.map((s) => s.ms)), rssMiB: Math.max(...samples.map((s) => s.rssMiB)), out: samples.at(-1).out };
  console.log(`  ${label.padEnd(34)} ${result.ms.toFixed(0).padStart(7)} ms   peak RSS ${result.rssMiB.toFixed(0).padStart(5)} MiB`);
  return result;
}

/** The JSON log line with this msg from a run's output. */
export function logLine(out, msg) {
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line);
    if (parsed.msg === msg) return parsed;
  }
  return undefined;
}
