#!/usr/bin/env node
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleRunner } from './agent-runner.js';
import { runDemo } from './run-demo.js';

// Entry of `pnpm demo`: the SQLite file stays in ./data/demo so it can be inspected afterwards
// (each run starts it afresh); every process and port the demo opened is closed before it exits.
const dataDir = resolve(process.env.INIT_CWD ?? process.cwd(), 'data', 'demo');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const bundle = fileURLToPath(new URL('../../agent/dist/act2-heartbeat.js', import.meta.url));

try {
  const result = await runDemo({ runAgent: bundleRunner(bundle, { PATH: process.env.PATH ?? '/usr/bin:/bin' }), print: (line) => console.log(line), dataDir });
  const ok = Object.values(result.runs).slice(0, 3).every((run) => run.exitCode === 0);
  console.log(ok ? '\ndemo finished: nothing left running.' : '\ndemo finished with agent failures (see above).');
  process.exitCode = ok ? 0 : 1;
} catch (err) {
  console.error('demo failed:', err);
  process.exitCode = 1;
}
