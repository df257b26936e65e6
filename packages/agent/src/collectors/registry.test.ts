import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECTORS } from './registry.js';

describe('collector registry', () => {
  it('registers every collector folder under its own srv-type, and nothing else', () => {
    const folders = readdirSync(new URL('.', import.meta.url), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(Object.keys(COLLECTORS).sort()).toEqual(folders);
    for (const [type, collector] of Object.entries(COLLECTORS)) expect(collector?.type).toBe(type);
  });
});
