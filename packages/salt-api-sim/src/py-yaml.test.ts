import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PyFloat } from './py-json.js';
import { pyYaml } from './py-yaml.js';

const fixtures = join(import.meta.dirname, '../test/fixtures');

describe('pyYaml', () => {
  it('matches PyYAML safe_dump(default_flow_style=False, allow_unicode=True) on the corpus', () => {
    const input: unknown = JSON.parse(readFileSync(join(fixtures, 'py-corpus.ascii.json'), 'utf8'));

    expect(pyYaml(input)).toBe(readFileSync(join(fixtures, 'py-corpus.yaml'), 'utf8'));
  });

  it('sorts keys, quotes what YAML 1.1 would not read back as a string, and keeps lists unindented', () => {
    const data = { return: [{ up: ['m1'], down: [], saltversion: '3006.10', jid: '20261122030005866910', perms: ['.*', '@jobs'] }] };

    expect(pyYaml(data)).toBe(
      "return:\n- down: []\n  jid: '20261122030005866910'\n  perms:\n  - .*\n  - '@jobs'\n  saltversion: '3006.10'\n  up:\n  - m1\n",
    );
  });

  it('writes Python floats as PyYAML does', () => {
    expect(pyYaml({ a: new PyFloat(1795316456.0411143), b: new PyFloat(1e16), c: new PyFloat(2) })).toBe(
      'a: 1795316456.0411143\nb: 1.0e+16\nc: 2.0\n',
    );
  });

  it('handles roots that are not mappings', () => {
    expect(pyYaml([{ b: 1, a: 2 }])).toBe('- a: 2\n  b: 1\n');
    expect(pyYaml({})).toBe('{}\n');
    expect(pyYaml('plain')).toBe('plain\n...\n');
  });
});
