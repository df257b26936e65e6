import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterMs } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the base, jittered between half and all of it, capped', () => {
    const options = { baseMs: 500, maxMs: 4000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, () => 1, options))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect([1, 2, 3].map((n) => backoffDelay(n, () => 0, options))).toEqual([250, 500, 1000]);
  });

  it('reads Retry-After seconds only', () => {
    expect([retryAfterMs('3'), retryAfterMs(['7']), retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT'), retryAfterMs(undefined)]).toEqual([3000, 7000, undefined, undefined]);
  });
});
