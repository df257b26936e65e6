import { describe, expect, it } from 'vitest';
import { offsetClock, type Clock } from './clock.js';
import type { DbOrTrx } from './db/database.js';

const db = {} as DbOrTrx;

describe('offsetClock', () => {
  it('asks the database first, then answers from the offset without a promise until refreshMs passes', async () => {
    let local = 1_000;
    let asked = 0;
    const base: Clock = async () => {
      asked += 1;
      return local + 500;
    };
    const clock = offsetClock(base, 1_000, () => local);

    const first = clock(db);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe(1_500);
    local = 1_900;
    expect(clock(db)).toBe(2_400);
    local = 2_000;
    const refreshed = clock(db);
    expect(refreshed).toBeInstanceOf(Promise);
    expect(await refreshed).toBe(2_500);
    expect(asked).toBe(2);
  });

  it('asks once for callers that come while a measure is running', async () => {
    let asked = 0;
    const clock = offsetClock(async () => (asked += 1) && 10_000, 1_000, () => 0);

    const answers = await Promise.all([clock(db), clock(db), clock(db)]);

    expect(answers).toEqual([10_000, 10_000, 10_000]);
    expect(asked).toBe(1);
  });
});
