import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PyFloat, RawJson, plainPyJson, pyFloatRepr, pyJson, pyJsonBuffer } from './py-json.js';

const fixtures = join(import.meta.dirname, '../test/fixtures');
const read = (name: string) => readFileSync(join(fixtures, name), 'utf8');

describe('pyJson', () => {
  it('writes the bytes salt-api tests assert (Python separators)', () => {
    expect(pyJson({ return: [{ jerry: false }] })).toBe('{"return": [{"jerry": false}]}');
  });

  it('matches Python json.dumps on the corpus (ensure_ascii off, as salt.utils.json.dumps)', () => {
    const input: unknown = JSON.parse(read('py-corpus.ascii.json'));

    expect(pyJson(input)).toBe(read('py-corpus.json'));
  });

  it('matches plain Python json.dumps with ensureAscii', () => {
    const input: unknown = JSON.parse(read('py-corpus.ascii.json'));

    expect(pyJson(input, { ensureAscii: true })).toBe(read('py-corpus.ascii.json'));
  });

  it('has a fast path that writes the same bytes', () => {
    const input: unknown = JSON.parse(read('py-corpus.ascii.json'));

    expect(plainPyJson(input).toString('utf8')).toBe(read('py-corpus.json'));
    expect(plainPyJson(input, { ensureAscii: true }).toString('utf8')).toBe(read('py-corpus.ascii.json'));
  });

  it('keeps Map insertion order, even for numeric-looking keys', () => {
    const dict = new Map<string, unknown>([
      ['b', 1],
      ['10', 2],
      ['a', [null, true]],
    ]);

    expect(pyJson(dict)).toBe('{"b": 1, "10": 2, "a": [null, true]}');
  });

  it('splices RawJson fragments verbatim', () => {
    const raw = new RawJson(Buffer.from('{"x": [1, 2]}'), { x: [1, 2] });

    expect(pyJsonBuffer({ m1: raw, m2: false }).toString()).toBe('{"m1": {"x": [1, 2]}, "m2": false}');
  });

  it('writes floats like Python repr', () => {
    expect([1e16, 1.5e16, 1e-5, 0.0001, 1e21, 123.456, -0, 1795359655.8587751].map(pyFloatRepr)).toEqual([
      '1e+16',
      '1.5e+16',
      '1e-05',
      '0.0001',
      '1e+21',
      '123.456',
      '-0.0',
      '1795359655.8587751',
    ]);
    expect(pyJson({ expire: new PyFloat(1795359655), n: 3 })).toBe('{"expire": 1795359655.0, "n": 3}');
  });
});
