import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { registerWorkerBeside } from './offload.js';

describe('registerWorkerBeside', () => {
  const dir = mkdtempSync(join(tmpdir(), 'act2-worker-location-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const logger = () => {
    const warnings: unknown[][] = [];
    return { warnings, log: { warn: (...args: unknown[]) => void warnings.push(args) } };
  };

  it('a build without register-worker.js beside it: none, and a warning naming the missing file', () => {
    const { warnings, log } = logger();

    expect(registerWorkerBeside(pathToFileURL(join(dir, 'act2-server.js')).href, log as never)).toBeUndefined();
    expect(warnings).toEqual([[{ worker: join(dir, 'register-worker.js') }, expect.stringContaining('registration worker is missing')]]);
  });

  it('a build with it: its URL, quietly; from sources: none, quietly', () => {
    writeFileSync(join(dir, 'register-worker.js'), '');
    const { warnings, log } = logger();

    expect(registerWorkerBeside(pathToFileURL(join(dir, 'act2-server.js')).href, log as never)?.href).toBe(pathToFileURL(join(dir, 'register-worker.js')).href);
    expect(registerWorkerBeside(pathToFileURL(join(dir, 'offload.ts')).href, log as never)).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});
