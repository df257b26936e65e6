import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '@act2/agent/testing';
import type { RunAgent } from '../src/agent-runner.js';
import { runDemo, type DemoResult } from '../src/run-demo.js';

/** The real agent, run in-process through its CLI (the demo itself spawns the built bundle). */
const inProcessAgent: RunAgent = (args, env) => runCliCaptured(args, env);

describe('the quick-start demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'act2-demo-test-'));
  const printed: string[] = [];
  let result: DemoResult;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('registers three masters and answers the HA lookup with both masters of the pair', async () => {
    result = await runDemo({ runAgent: inProcessAgent, print: (l) => printed.push(l), dataDir: dir, timeScale: 0.01 });

    expect(Object.fromEntries(Object.entries(result.runs).map(([sn, run]) => [sn, run.exitCode]))).toEqual({
      'SH-MASTER-01': 0,
      'BJ-MASTER-01': 0,
      'BJ-MASTER-02': 0,
      'BJ-MASTER-02#2': 5,
    });
    expect(result.masters.map((m) => [m.sn, m.status, m.minion_count])).toEqual([
      ['BJ-MASTER-01', 'running', 24],
      ['BJ-MASTER-02', 'running', 24],
      ['SH-MASTER-01', 'running', 30],
    ]);
    expect(result.shared.masters.map((m) => m.sn).sort()).toEqual(['BJ-MASTER-01', 'BJ-MASTER-02']);
  });

  it('runs a job on the shared minion through the first master, then through the other once the first salt-api stops', () => {
    const first = result.shared.masters[0]?.sn;
    const second = result.shared.masters[1]?.sn;
    expect(result.firstJob.targets.map((t) => [t.outcome, t.master, t.return, t.attempts.length])).toEqual([['returned', first, 'hello from act2', 1]]);
    expect(result.failoverJob.targets.map((t) => [t.outcome, t.master, t.return])).toEqual([['returned', second, 'hello from act2']]);
    expect(result.failoverJob.targets[0]?.attempts.map((a) => [a.master, a.ok])).toEqual([
      [first, false],
      [second, true],
    ]);
    expect(printed.join('\n')).toMatch(/attempt 1 on BJ-MASTER-0\d: failed \(ACT2_SALT_UNREACHABLE: cannot reach salt-api/);
  });

  it('puts the live master of the pair first once the other one stops', () => {
    expect(result.afterFailure.masters.map((m) => [m.sn, m.status])).toEqual([
      ['BJ-MASTER-01', 'running'],
      ['BJ-MASTER-02', 'stopped'],
    ]);
    expect(printed.join('\n')).toContain('GET /api/v1/minions/bj-app-001');
  });

  it('runs like a real install: agents enrolled with the register token, each master holding its own key', () => {
    const enrolled = Object.entries(result.runs)
      .filter(([sn]) => !sn.includes('#'))
      .map(([sn, run]) => [sn, run.logs.find((l) => l.msg === 'register ok')?.enrolled]);
    expect(enrolled).toEqual([
      ['SH-MASTER-01', true],
      ['BJ-MASTER-01', true],
      ['BJ-MASTER-02', true],
    ]);
    // The second run of the stopped master's agent used its stored key, not the token.
    expect(result.runs['BJ-MASTER-02#2']?.logs.find((l) => l.msg === 'register ok')?.enrolled).toBe(false);
    expect(existsSync(join(dir, 'state', 'BJ-MASTER-01', 'master-key.json'))).toBe(true);
  });
});
