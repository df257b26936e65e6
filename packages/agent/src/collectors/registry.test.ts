import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ServerType } from '@act2/shared';
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

  it('has a collector for every --srv-type of the contract', () => {
    expect(Object.keys(COLLECTORS).sort()).toEqual([...ServerType.options].sort());
  });

  it("gives each collector flags of its own: no two collectors declare the same flag or variable", () => {
    const flags = Object.values(COLLECTORS).flatMap((c) => c.options().flatMap((o) => [o.long, o.envVar]));
    expect(flags.length).toBeGreaterThan(0);
    expect(new Set(flags).size).toBe(flags.length);
  });
});
