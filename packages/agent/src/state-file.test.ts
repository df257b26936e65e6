import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMasterKeyStore } from './state-file.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'act2-state-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('master key store (--state-dir)', () => {
  it('saves the key 0600 in a 0700 directory it creates, leaves no temporary file, and loads it for the same sn only', async () => {
    const dir = join(tempDir(), 'nested', 'state');
    const warnings: string[] = [];
    const store = createMasterKeyStore(dir, { warn: (_fields, msg) => warnings.push(msg) });

    await store.assertWritable();
    await store.save('SN-1', 'act2k_secret', 'https://act2.example');

    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['master-key.json']);
    expect(JSON.parse(readFileSync(store.file, 'utf8'))).toMatchObject({ sn: 'SN-1', key: 'act2k_secret', server: 'https://act2.example' });
    expect(await store.load('SN-1')).toBe('act2k_secret');
    expect(await store.load('SN-2')).toBeUndefined();
    expect(warnings).toEqual(['the stored master key belongs to another sn; enrolling this one']);
  });

  it('loads nothing from an empty state dir, and reports a state dir it cannot create or a damaged file', async () => {
    const base = tempDir();
    writeFileSync(join(base, 'a-file'), '');
    const blocked = createMasterKeyStore(join(base, 'a-file', 'state'));
    const damaged = createMasterKeyStore(base);
    writeFileSync(join(base, 'master-key.json'), '{not json');

    expect(await createMasterKeyStore(join(base, 'missing')).load('SN')).toBeUndefined();
    await expect(blocked.assertWritable()).rejects.toMatchObject({ code: 'ACT2_STATE_DIR', message: expect.stringContaining('ENOTDIR') });
    await expect(damaged.load('SN')).rejects.toMatchObject({ code: 'ACT2_STATE_DIR' });
  });
});
