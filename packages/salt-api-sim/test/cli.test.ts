/** The CLI's flags → simulator options (the process part is three lines in cli.ts). */
import { describe, expect, it } from 'vitest';
import { buildProgram, simOptionsFrom, type CliOptions } from '../src/cli-options.js';
import { CAPTURED_ENABLED_CLIENTS } from '../src/types.js';

function parse(args: string[]): CliOptions {
  const program = buildProgram('test').exitOverride().configureOutput({ writeErr: () => {} });
  program.parse(['node', 'salt-api-sim', ...args]);
  return program.opts<CliOptions>();
}

describe('salt-api-sim flags', () => {
  it('defaults to 40 generated minions on 127.0.0.1:8001 at real-salt speed', () => {
    const opts = parse([]);
    const sim = simOptionsFrom(opts);

    expect([opts.port, opts.host]).toEqual([8001, '127.0.0.1']);
    expect(sim.minions).toHaveLength(40);
    expect(sim.timeScale).toBe(1);
    expect(sim.users).toBeUndefined();
  });

  it('maps fleet, users, speed, clients and preset flags', () => {
    const sim = simOptionsFrom(
      parse(['--minions', '10', '--down', '2', '--down-ids', 'x-001', '--prefix', 'x-', '--seed', 's', '--user', 'api:se:cret', '--eauth', 'file', '--time-scale', '0.01', '--ping-latency', '20', '--clients-disabled']),
    );
    const oracle = simOptionsFrom(parse(['--preset', 'oracle', '--down-ids', 'oracle-minion-3']));

    expect(sim.minions?.filter((m) => !m.up).map((m) => m.id)).toContain('x-001');
    expect(sim.minions?.filter((m) => !m.up)).toHaveLength(3);
    expect(sim.users).toEqual([{ name: 'api', password: 'se:cret', eauth: ['file'], perms: ['.*', '@runner', '@wheel', '@jobs'] }]);
    expect([sim.timeScale, sim.pingLatencyMs, sim.clientsEnabled]).toEqual([0.01, 20, []]);
    expect(oracle.minions?.map((m) => [m.id, m.up])).toEqual([['oracle-minion-1', true], ['oracle-minion-2', true], ['oracle-minion-3', false]]);
    expect(oracle.masterId).toBe('vm');
  });

  it('rejects bad values', () => {
    expect(() => parse(['--port', 'x'])).toThrow();
    expect(() => parse(['--preset', 'nope'])).toThrow();
    expect(() => simOptionsFrom(parse(['--user', 'nopassword']))).toThrow('--user expects name:password');
    expect(() => simOptionsFrom(parse(['--tls-key', 'k.pem']))).toThrow('--tls-key and --tls-cert go together');
    expect(() => simOptionsFrom(parse(['--down-ids', 'minion-999']))).toThrow('downIds not in the fleet: minion-999');
  });

  it('disables every client with a bare --clients-disabled, or only the listed ones', () => {
    const all = simOptionsFrom(parse(['--clients-disabled', '--port', '9000']));
    const runner = simOptionsFrom(parse(['--clients-disabled', 'runner']));
    const two = simOptionsFrom(parse(['--clients-disabled=runner, local']));

    expect(all.clientsEnabled).toEqual([]);
    expect(runner.clientsEnabled).toEqual(CAPTURED_ENABLED_CLIENTS.filter((c) => c !== 'runner'));
    expect(two.clientsEnabled).toEqual(CAPTURED_ENABLED_CLIENTS.filter((c) => c !== 'runner' && c !== 'local'));
    expect(simOptionsFrom(parse([])).clientsEnabled).toBeUndefined();
    expect(() => simOptionsFrom(parse(['--clients-disabled', 'runer']))).toThrow('--clients-disabled: unknown client(s): runer (known: local, local_async');
  });

  it('starts with the master down in either of its two ways', () => {
    expect(simOptionsFrom(parse(['--master-down', 'hang'])).masterDown).toBe('hang');
    expect(simOptionsFrom(parse(['--master-down', 'no-ipc'])).masterDown).toBe('no-ipc');
    expect(simOptionsFrom(parse([])).masterDown).toBeUndefined();
    expect(() => parse(['--master-down', 'off'])).toThrow();
  });

  it('sets per-minion job latency, max_event_size and the jobs preset', () => {
    const sim = simOptionsFrom(parse(['--minions', '3', '--prefix', 'm', '--latency', 'm002=30', '--latency', 'm003=inf', '--max-event-size', '4096']));
    const jobs = simOptionsFrom(parse(['--preset', 'jobs']));

    expect(sim.minions?.map((m) => [m.id, m.latencyS])).toEqual([['m001', undefined], ['m002', 30], ['m003', Number.POSITIVE_INFINITY]]);
    expect(sim.maxEventSize).toBe(4096);
    expect([jobs.masterId, jobs.minions?.map((m) => m.id)]).toEqual(['vm', ['m-1', 'm-2', 'm-3']]);
    expect(() => simOptionsFrom(parse(['--latency', 'm002']))).toThrow('--latency expects id=seconds');
    expect(() => simOptionsFrom(parse(['--latency', 'nobody=1']))).toThrow('--latency for minions not in the fleet: nobody');
  });

  it('names the default user in --help', () => {
    let help = '';
    const program = buildProgram('test').exitOverride().configureOutput({ writeOut: (text) => (help += text) });
    expect(() => program.parse(['node', 'salt-api-sim', '--help'])).toThrow();
    expect(help).toContain('salt-api:salt-api');
    expect(help).toMatch(/--master-down <mode>[\s\S]*hang[\s\S]*no-ipc/);
  });
});
