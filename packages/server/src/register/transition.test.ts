import { describe, expect, it } from 'vitest';
import { masterTransition } from './transition.js';

const T = 1000;
const NOW = 1_000_000;
const kinds = (t: ReturnType<typeof masterTransition>) => t.events.map((e) => e.kind);

describe('masterTransition', () => {
  it.each([
    ['new master', undefined, 'running', ['master.registered'], false],
    ['running → running', { status: 'running', last_seen: NOW - 10 }, 'running', [], false],
    ['running → stopped', { status: 'running', last_seen: NOW - 10 }, 'stopped', ['master.stopped'], false],
    ['stopped → stopped', { status: 'stopped', last_seen: NOW - 10 }, 'stopped', [], false],
    ['stopped → running', { status: 'stopped', last_seen: NOW - 10 }, 'running', ['master.recovered'], true],
    ['timeout → running', { status: 'timeout', last_seen: NOW - 5 * T }, 'running', ['master.recovered'], true],
    ['timeout → stopped', { status: 'timeout', last_seen: NOW - 5 * T }, 'stopped', ['master.recovered'], true],
    ['expired, not swept', { status: 'running', last_seen: NOW - T - 1 }, 'running', ['master.timeout', 'master.recovered'], true],
    ['exactly at the timeout', { status: 'running', last_seen: NOW - T }, 'running', [], false],
  ] as const)('%s', (_name, previous, reported, expected, recovered) => {
    const result = masterTransition(previous, reported, NOW, T);

    expect(kinds(result)).toEqual(expected);
    expect(result.recovered).toBe(recovered);
  });
});
