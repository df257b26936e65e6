#!/usr/bin/env node
import { runCli } from './main.js';

// The process entry: the only file that reads process.env / argv and exits. No top-level await:
// the bundle is CommonJS so that it runs as a lone `.js` (or extensionless) file on any Node 20.
const write = (stream: NodeJS.WriteStream) => (text: string) =>
  new Promise<void>((resolve) => {
    stream.write(text, () => resolve());
  });

async function main(): Promise<void> {
  try {
    const code = await runCli(process.argv.slice(2), process.env, { writeStdout: write(process.stdout), writeStderr: write(process.stderr) });
    process.exit(code);
  } catch (error) {
    process.stderr.write(`act2-heartbeat: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}

void main();
