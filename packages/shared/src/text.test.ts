import { describe, expect, it } from 'vitest';
import { boundedText, RegisterMinion } from './index.js';

describe('boundedText', () => {
  it.each([
    [undefined, 10, undefined],
    [42, 10, undefined],
    ['', 10, undefined],
    ['  \u0000 ', 10, undefined],
    ['  CentOS 7 ', 10, 'CentOS 7'],
    ['a\u0000b', 10, 'ab'],
    ['abcdefghijkl', 10, 'abcdefghij'],
    ['abc       xyz', 5, 'abc'],
    ['lone \ud800 high', 20, 'lone \ufffd high'],
    ['lone \udc00 low', 20, 'lone \ufffd low'],
  ])('%j (max %d) → %j', (value, max, expected) => {
    expect(boundedText(value, max)).toBe(expected);
  });

  it('never splits a surrogate pair at the cut', () => {
    const text = `${'x'.repeat(254)}\ud83d\ude00tail`;
    const cut = boundedText(text, 255);
    expect(cut).toBe('x'.repeat(254));
    expect(cut?.isWellFormed()).toBe(true);
    expect(boundedText(`${'x'.repeat(253)}\ud83d\ude00tail`, 255)).toBe(`${'x'.repeat(253)}\ud83d\ude00`);
  });

  it('whatever it returns, the contract takes as a minion field', () => {
    const odd = ['\ud800'.repeat(300), `${'é'.repeat(254)}\ud83d\ude00`, '\u0000'.repeat(3) + 'ok', ` ${'y'.repeat(300)} `];
    for (const value of odd) {
      const os = boundedText(value, 255);
      expect(RegisterMinion.safeParse({ sn: 'm1', status: 'running', ips: [], ...(os === undefined ? {} : { os }) }).success).toBe(true);
    }
  });
});
