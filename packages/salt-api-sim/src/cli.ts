#!/usr/bin/env node
/** Entry of `salt-api-sim`: flags → simulator → listen until SIGINT/SIGTERM. */
import { buildProgram, simOptionsFrom, type CliOptions } from './cli-options.js';
import { createSaltApiSim } from './server.js';

async function main(): Promise<number> {
  const program = buildProgram('0.1.0');
  await program.parseAsync(process.argv);
  const opts = program.opts<CliOptions>();
  const sim = createSaltApiSim({ ...simOptionsFrom(opts), prewarm: true, onError: (err) => console.error(err) });
  const url = await sim.listen({ port: opts.port, host: opts.host });
  const minions = sim.minions();
  const down = minions.filter((m) => !m.up).length;
  process.stdout.write(`salt-api simulator listening on ${url} (${minions.length} minions, ${down} down)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`salt-api-sim: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
