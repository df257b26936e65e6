import { describe, expect, it } from 'vitest';
import { jsonShapeProblem } from './json-shape.js';

const limits = { maxContainers: 10, maxDepth: 3, maxMembers: 3, maxElements: 5, maxKeyNames: 4, maxShortStrings: 3 };

describe('jsonShapeProblem', () => {
  it('counts objects and arrays outside strings only', () => {
    expect(jsonShapeProblem('{"a":[1,2,{"b":"[[[[{{{{"}]}', limits)).toBeUndefined();
    expect(jsonShapeProblem('{"a":"\\"[[[[[[[[[[[[[[[[[[[[\\\\"}', limits)).toBeUndefined();
    expect(jsonShapeProblem(`[${'[],'.repeat(3)}[]]`, limits)).toBeUndefined();
    expect(jsonShapeProblem(`[[${'{},'.repeat(4)}{}],[${'{},'.repeat(4)}{}]]`, limits)).toBe('containers');
  });

  it('refuses nesting deeper than the limit', () => {
    expect(jsonShapeProblem('[[[1]]]', limits)).toBeUndefined();
    expect(jsonShapeProblem('[[[[1]]]]', limits)).toBe('depth');
    // Brackets inside a string after an escaped backslash still count as string content.
    expect(jsonShapeProblem('["\\\\", [[[]]]]', limits)).toBe('depth');
  });

  it('refuses an object with too many members or an array with too many elements, wherever it is', () => {
    expect(jsonShapeProblem('{"a":1,"b":2,"c":{"a":1,"b":2,"c":3}}', limits)).toBeUndefined();
    expect(jsonShapeProblem('{"a":1,"b":2,"c":3,"d":4}', limits)).toBe('members');
    expect(jsonShapeProblem('{"a":[1,2,3,4,5],"b":"1,2,3,4,5,6,7"}', limits)).toBeUndefined();
    expect(jsonShapeProblem('{"a":[1,2,3,4,5,6]}', limits)).toBe('elements');
  });

  it('refuses more different short string values than the limit; long or repeated ones are free', () => {
    expect(jsonShapeProblem(`[["a","b","c","a"],["b","c","${'x'.repeat(11)}","${'y'.repeat(11)}"]]`, limits)).toBeUndefined();
    expect(jsonShapeProblem('["a","b",["c"],{"k":"d"}]', limits)).toBe('strings');
  });

  it('refuses more different member names than the limit, counting a repeated name once', () => {
    expect(jsonShapeProblem('[{"a":"b","c":"b"},{"a":"b", "c" :"b"},{"e":1,"f":["b","b","b"]}]', limits)).toBeUndefined();
    expect(jsonShapeProblem('[{"a":1,"b":2},{"c":3},{"d":4},{"e":5}]', limits)).toBe('keys');
  });
});
