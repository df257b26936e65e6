import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { answersGate } from './answers-gate.js';

const settledWithin = async (p: Promise<void>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('the gate of a round’s first lookups', () => {
  it('opens for every waiter once the last dispatch arrived', async () => {
    const gate = answersGate(3, 60_000, new AbortController().signal);
    gate.arrived();
    const first = gate.wait();
    gate.arrived();
    const second = gate.wait();

    expect(await settledWithin(first, 20)).toBe(false);
    expect(gate.complete()).toBe(false);
    gate.arrived();
    expect(gate.complete()).toBe(true);
    expect(await settledWithin(Promise.all([first, second]).then(() => undefined), 20)).toBe(true);
    // Later waiters pass at once.
    expect(await settledWithin(gate.wait(), 5)).toBe(true);
  });

  it('holds a waiter back at most maxWaitMs when a dispatch never arrives, and not once the follower stops', async () => {
    const gate = answersGate(2, 50, new AbortController().signal);
    gate.arrived();
    const started = Date.now();
    await gate.wait();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeLessThan(1_000);

    const stop = new AbortController();
    const stopped = answersGate(2, 60_000, stop.signal);
    const waiting = stopped.wait();
    stop.abort();
    expect(await settledWithin(waiting, 20)).toBe(true);
    expect(await settledWithin(stopped.wait(), 5)).toBe(true);
  });

  it('adds one abort listener to the shared signal however many wait, and none is left once they are released', async () => {
    const stop = new AbortController();
    const gate = answersGate(13, 60_000, stop.signal);
    gate.arrived();
    const waiters = Array.from({ length: 12 }, () => gate.wait());

    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    for (let i = 0; i < 12; i += 1) gate.arrived();
    await Promise.all(waiters);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);

    const timed = answersGate(2, 10, stop.signal);
    await timed.wait();
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});
