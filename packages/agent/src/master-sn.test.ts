import { describe, expect, it } from 'vitest';
import { MACHINE_ID_PATH, PRODUCT_UUID_PATH, resolveMasterSn } from './master-sn.js';

function deps(files: Record<string, string>) {
  return {
    readFile: async (path: string) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return text;
    },
    hostname: () => 'salt-master-01',
  };
}

describe('resolveMasterSn', () => {
  it('prefers --master-sn', async () => {
    expect(await resolveMasterSn('SN-FLAG', deps({ [PRODUCT_UUID_PATH]: 'x' }))).toEqual({ sn: 'SN-FLAG', source: 'flag', reasons: [] });
  });

  it('reads product_uuid trimmed (heartbeat.py kept the newline)', async () => {
    const sn = await resolveMasterSn(undefined, deps({ [PRODUCT_UUID_PATH]: '4C4C4544-0042-3510-8052-B4C04F384B32\n' }));
    expect(sn).toEqual({ sn: '4C4C4544-0042-3510-8052-B4C04F384B32', source: 'product_uuid', reasons: [] });
  });

  it('falls back to /etc/machine-id, saying why', async () => {
    const sn = await resolveMasterSn(undefined, deps({ [MACHINE_ID_PATH]: '3d1219c7c4c5404aaa1f6d2a48adfda4\n' }));
    expect(sn).toEqual({ sn: '3d1219c7c4c5404aaa1f6d2a48adfda4', source: 'machine-id', reasons: [`${PRODUCT_UUID_PATH} unreadable (ENOENT)`] });
  });

  it('falls back to the hostname when both are unusable', async () => {
    const sn = await resolveMasterSn(undefined, deps({ [PRODUCT_UUID_PATH]: '00000000-0000-0000-0000-000000000000\n', [MACHINE_ID_PATH]: '\n' }));
    expect(sn).toEqual({
      sn: 'salt-master-01',
      source: 'hostname',
      reasons: [`${PRODUCT_UUID_PATH} holds no usable id ("00000000-0000-0000-0000-000000000000")`, `${MACHINE_ID_PATH} holds no usable id ("")`],
    });
  });
});
