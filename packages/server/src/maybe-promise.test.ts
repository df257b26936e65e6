import { describe, expect, it } from 'vitest';
import { andThen } from './maybe-promise.js';

describe('andThen', () => {
  it('applies the step at once to a value that is there', () => {
    expect(andThen(2, (n) => n + 1)).toBe(3);
  });

  it('applies it after the promise settles, and the result is a promise', async () => {
    const result = andThen(Promise.resolve(2), (n) => n + 1);
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(3);
  });

  it('chains a step that returns a promise', async () => {
    await expect(andThen(2, async (n) => n * 10)).resolves.toBe(20);
  });

  it('throws a throwing step synchronously for a value, and rejects for a promise', async () => {
    const fail = (): never => {
      throw new Error('no');
    };
    expect(() => andThen(1, fail)).toThrow('no');
    await expect(andThen(Promise.resolve(1), fail)).rejects.toThrow('no');
  });
});
