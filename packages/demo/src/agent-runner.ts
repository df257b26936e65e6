import { spawn } from 'node:child_process';

/** What the demo needs to know about one agent run. */
export interface AgentRun {
  exitCode: number;
  ms: number;
  /** The agent's JSON log lines. */
  logs: Record<string, unknown>[];
}

/** Runs act2-heartbeat once with these flags and environment. */
export type RunAgent = (args: string[], env: Record<string, string>) => Promise<AgentRun>;

function parseLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Runs the single-file bundle as a separate process, exactly as cron would on a master: with only
 * `baseEnv` (cron's sparse environment, e.g. PATH) plus the run's own variables.
 */
export function bundleRunner(bundle: string, baseEnv: Record<string, string>): RunAgent {
  return (args, env) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(process.execPath, [bundle, ...args], {
        env: { ...baseEnv, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.once('error', reject);
      child.once('close', (code) => {
        resolve({ exitCode: code ?? 1, ms: performance.now() - started, logs: parseLines(out) });
      });
    });
}
