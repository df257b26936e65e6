import { describe, expect, it } from 'vitest';
import { jsonShapeProblem } from './json-shape.js';

const limits = { maxContainers: 10, maxDepth: 3 };

describe('jsonShapeProblem', () => {
  it('counts objects and arrays outside strings only', () => {
    expect(jsonShapeProblem('{"a":[1,2,{"b":"[[[[{{{{"}]}', limits)).toBeUndefined();
    expect(jsonShapeProblem('{"a":"\\"[[[[[[[[[[[[[[[[[[[[\\\\"}', limits)).toBeUndefined();
    expect(jsonShapeProblem(`[${'{},'.repeat(10)}{}]`, limits)).toBe('containers');
  });

  it('refuses nesting deeper than the limit', () => {
    expect(jsonShapeProblem('[[[1]]]', limits)).toBeUndefined();
    expect(jsonShapeProblem('[[[[1]]]]', limits)).toBe('depth');
    // Brackets inside a string after an escaped backslash still count as string content.
    expect(jsonShapeProblem('["\\\\", [[[]]]]', limits)).toBe('depth');
  });
});
