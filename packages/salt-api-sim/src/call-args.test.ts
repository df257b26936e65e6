import { describe, expect, it } from 'vitest';
import { bindCall, invalidArgumentsText, PyTypeError, runnerCallArgs, type PySignature } from './call-args.js';

const grains: PySignature = { name: 'grains', params: [{ name: 'tgt', required: true }, { name: 'tgt_type', default: 'glob' }], varKwargs: true, doc: '\n    doc\n    ' };
const status: PySignature = { name: 'status', params: [{ name: 'output', default: true }, { name: 'timeout', default: null }], doc: '' };

describe('runner call arguments', () => {
  it('merges arg, kwarg and top-level keys, top-level winning; netapi keys are not passed on', () => {
    const low = { client: 'runner', fun: 'manage.status', token: 'ab', timeout: 30, arg: ['x', 'gather_job_timeout=3'], kwarg: { timeout: 1, gather_job_timeout: 2 }, tgt: '*' };

    expect(runnerCallArgs(low)).toEqual({ args: ['x'], kwargs: { gather_job_timeout: 2, timeout: 1, tgt: '*' } });
  });

  it('binds like Python, dropping unknown kwargs unless the function takes **kwargs', () => {
    expect(bindCall(status, [], { timeout: 5, junk: 1 })).toEqual({ output: true, timeout: 5 });
    expect(bindCall(grains, ['*'], { junk: 1 })).toEqual({ tgt: '*', tgt_type: 'glob', junk: 1 });
  });

  it("raises CPython's TypeError messages", () => {
    expect(() => bindCall(grains, [], {})).toThrow("grains() missing 1 required positional argument: 'tgt'");
    expect(() => bindCall(status, [1, 2, 3], {})).toThrow('status() takes from 0 to 2 positional arguments but 3 were given');
    expect(() => bindCall(grains, ['*'], { tgt: 'x' })).toThrow("grains() got multiple values for argument 'tgt'");
  });

  it('formats the 200 "Passed invalid arguments" string of the runner mixin', () => {
    expect(invalidArgumentsText(new PyTypeError('boom'), grains)).toBe('\nPassed invalid arguments: boom\n\nUsage:\n\n    doc\n    ');
  });
});
