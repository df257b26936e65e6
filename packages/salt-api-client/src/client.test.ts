/** The client against the salt-api simulator (a real HTTP server speaking the captured protocol). */
import { createSaltApiSim, generateMinions, type SaltApiSim } from '@act2/salt-api-sim';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createSaltClient, type SaltClient } from './client.js';

let sim: SaltApiSim | undefined;
let dispatcher: Agent | undefined;
const lines: Array<[object, string]> = [];

afterEach(async () => {
  await sim?.close();
  await dispatcher?.close();
  lines.length = 0;
});

async function setup(reloginOnce: 'client' | 'call', timeScale = 0.001): Promise<{ client: SaltClient; sim: SaltApiSim }> {
  sim = createSaltApiSim({ minions: generateMinions({ count: 2, seed: 'client', prefix: 'm' }), timeScale });
  const url = await sim.listen();
  dispatcher = new Agent();
  const log = { debug: (o: object, m: string) => lines.push([o, m]), info: (o: object, m: string) => lines.push([o, m]) };
  const client = createSaltClient({ baseUrl: url, username: 'salt-api', password: 'salt-api', eauth: 'pam', dispatcher, timeoutMs: 5000, log, now: Date.now, userAgent: 'test/1', reloginOnce });
  await client.login();
  return { client, sim };
}

const ping = { client: 'local', tgt: 'm001', fun: 'test.ping' };

/** A salt-api restart closes every connection; a real one takes seconds, long enough for the client to see the FIN. */
async function restart(s: SaltApiSim): Promise<void> {
  await s.restart();
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const logins = (s: SaltApiSim) => s.requests().filter((r) => r.path === '/login').length;

describe('salt-api client', () => {
  it("reloginOnce 'call': a long-lived client logs in again after every salt-api restart", async () => {
    const { client, sim } = await setup('call');

    await restart(sim);
    const first = await client.run(ping);
    await restart(sim);
    const second = await client.run(ping);

    expect([first, second]).toEqual([{ m001: true }, { m001: true }]);
    expect(logins(sim)).toBe(3);
  });

  it("reloginOnce 'client': one new login per client, then the 401 is an error", async () => {
    const { client, sim } = await setup('client');

    await restart(sim);
    await client.run(ping);
    await restart(sim);

    await expect(client.run(ping)).rejects.toMatchObject({ code: 'ACT2_SALT_UNAUTHORIZED' });
    expect(logins(sim)).toBe(2);
  });

  it('a per-call timeout bounds a stopped master (500 after 15 s) and says so', async () => {
    const { client, sim } = await setup('call', 0.01);
    sim.setMasterDown('hang');

    await expect(client.run({ ...ping, client: 'local_async' }, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'ACT2_SALT_TIMEOUT' });
    await expect(client.run({ ...ping, client: 'local_async' })).rejects.toMatchObject({ code: 'ACT2_SALT_HTTP', message: expect.stringContaining('An unexpected error occurred') });
    expect(client.loggedIn()).toBe(true);
  });

  it('never puts the password in a log line or an error', async () => {
    const { client, sim } = await setup('call');
    sim.setMasterDown('no-ipc');

    const err = await client.run(ping).catch((e: unknown) => e);

    expect(JSON.stringify(lines) + String(err) + JSON.stringify((err as { details?: unknown }).details)).not.toContain('"salt-api"');
    expect(err).toMatchObject({ code: 'ACT2_SALT_UNAVAILABLE' });
  });
});
