import { runCli } from '../../src/main.js';

/** One in-process run of the act2-heartbeat CLI with everything it printed. */
export interface CapturedRun {
  exitCode: number;
  ms: number;
  /** The JSON log lines. */
  logs: Array<Record<string, unknown>>;
  /** Everything written to stdout, stderr and the log, in order. */
  text: string;
}

/** Runs the real CLI in-process (argv and env as cron would give them), capturing its output. */
export async function runCliCaptured(args: string[], env: Record<string, string> = {}): Promise<CapturedRun> {
  const chunks: string[] = [];
  const started = performance.now();
  const exitCode = await runCli(args, env, {
    writeStdout: async (text) => void chunks.push(text),
    writeStderr: async (text) => void chunks.push(text),
    logDestination: () => ({ write: (line: string) => void chunks.push(line) }),
  });
  const text = chunks.join('');
  const logs = text
    .split('\n')
    .filter((line) => line.startsWith('{"level"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { exitCode, ms: performance.now() - started, logs, text };
}
