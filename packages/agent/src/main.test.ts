import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { capture } from '../test/helpers/captures.js';
import { startReplayServer } from '../test/helpers/replay-server.js';
import type { ReplayServer } from '../test/helpers/replay-server.js';
import { runCli } from './main.js';
import type { CliIo } from './main.js';

let server: ReplayServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function io(extra: Partial<CliIo> = {}) {
  const out = { stdout: '', stderr: '', logs: '' };
  const cliIo: CliIo = {
    writeStdout: async (text) => void (out.stdout += text),
    writeStderr: async (text) => void (out.stderr += text),
    logDestination: () => ({ write: (line: string) => void (out.logs += line) }),
    heartbeatDeps: { hostname: () => 'salt-master-01', readFile: async () => 'PRODUCT-UUID-1\n' },
    ...extra,
  };
  return { out, cliIo };
}

describe('runCli', () => {
  it('--dry-run: stdout holds only the payload as one JSON line (password masked), logs go elsewhere', async () => {
    server = await startReplayServer([
      { method: 'POST', path: '/login', reply: capture('01') },
      { method: 'POST', path: '/', reply: capture('10') },
      { method: 'POST', path: '/', reply: capture('14') },
    ]);
    const { out, cliIo } = io();
    const code = await runCli(['--dry-run', '--salt-server', server.url, '--salt-user', 'apiuser', '--salt-eauth', 'file'], { ACT2_SALT_PASSWORD: 'pw-s3cret-123' }, cliIo);
    expect(code).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    const payload = JSON.parse(lines[0] ?? '') as { master: unknown; minions: { sn: string }[] };
    expect(payload.master).toEqual({
      sn: 'PRODUCT-UUID-1',
      server: server.url,
      status: 'running',
      idc: '',
      type: 'salt',
      options: { username: 'apiuser', password: '[redacted]' },
    });
    expect(payload.minions.map((m) => m.sn)).toEqual(['oracle-minion-1', 'oracle-minion-2', 'oracle-minion-3']);
    expect(out.logs).toContain('"msg":"config loaded"');
    expect(out.logs + out.stdout + out.stderr).not.toContain('pw-s3cret-123');
    server.assertDone();
  });

  it('--dry-run with salt-api down prints the stopped payload and exits 5', async () => {
    const { out, cliIo } = io();
    const code = await runCli(['--dry-run', '--salt-server', 'http://127.0.0.1:9'], { ACT2_SALT_PASSWORD: 'x' }, cliIo);
    expect(code).toBe(5);
    expect(JSON.parse(out.stdout)).toMatchObject({ master: { status: 'stopped', error: 'cannot reach salt-api at http://127.0.0.1:9: connection refused' }, minions: [] });
  });

  it('--salt-insecure: shown in the config loaded line and warned exactly once per run', async () => {
    const { out, cliIo } = io();
    const code = await runCli(['--dry-run', '--salt-server', 'https://127.0.0.1:9', '--salt-insecure', '--advertise-server', 'https://salt.example:8000'], { ACT2_SALT_PASSWORD: 'pw' }, cliIo);
    expect(code).toBe(5);
    const logs = out.logs.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs.find((l) => l.msg === 'config loaded')).toMatchObject({ salt_insecure: true, salt_server: 'https://127.0.0.1:9' });
    const tls = logs.filter((l) => JSON.stringify(l).includes('--salt-insecure'));
    expect(tls).toEqual([expect.objectContaining({ level: 40, msg: 'configuration warning', detail: expect.stringContaining('TLS verification of salt-api (https://127.0.0.1:9) is off') })]);

    const secure = io();
    await runCli(['--dry-run', '--salt-server', 'https://127.0.0.1:9', '--advertise-server', 'https://salt.example:8000'], { ACT2_SALT_PASSWORD: 'pw' }, secure.cliIo);
    expect(secure.out.logs).toContain('"salt_insecure":false');
    expect(secure.out.logs).not.toContain('--salt-insecure');
  });

  it('prints every config error on stderr and exits 2 without running', async () => {
    const { out, cliIo } = io();
    const code = await runCli(['--timeout', 'x'], {}, cliIo);
    expect(code).toBe(2);
    expect(out.stderr.split('\n')).toEqual([
      'act2-heartbeat: --act2-server is required (or ACT2_SERVER), unless --dry-run',
      'act2-heartbeat: --idc is required (or ACT2_IDC), unless --dry-run',
      'act2-heartbeat: --timeout: "x" is not a duration (use 90s, 2m, 1h30m or plain seconds)',
      'act2-heartbeat: no salt-api password: use --salt-password-file, ACT2_SALT_PASSWORD or --salt-password',
      "Try 'act2-heartbeat --help'.",
      '',
    ]);
    expect([out.stdout, out.logs]).toEqual(['', '']);
  });

  it('prints --help on stdout and exits 0', async () => {
    const { out, cliIo } = io();
    expect(await runCli(['-h'], {}, cliIo)).toBe(0);
    expect(out.stdout).toMatch(/^Usage: act2-heartbeat \[options\]/);
  });

  it('appends to --log-file across runs and warns about a password on the command line', async () => {
    dir = mkdtempSync(join(tmpdir(), 'act2-agent-'));
    const file = join(dir, 'heartbeat.log');
    const { cliIo } = io({ logDestination: undefined });
    for (let i = 0; i < 2; i += 1) {
      await runCli(['--dry-run', '--salt-server', 'http://127.0.0.1:9', '--advertise-server', 'http://salt.example:8001', '--salt-password', 'argv-pw', '--log-file', file], {}, cliIo);
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(lines.filter((l) => l.msg === 'config loaded')).toHaveLength(2);
    expect(lines.filter((l) => l.msg === 'configuration warning' && l.level === 40)).toHaveLength(2);
    expect(readFileSync(file, 'utf8')).not.toContain('argv-pw');
  });

  it('exits 2 when the log file cannot be opened', async () => {
    const { out, cliIo } = io({ logDestination: undefined });
    const code = await runCli(['--dry-run', '--salt-password', 'x', '--log-file', '/nonexistent-dir/x.log'], {}, cliIo);
    expect(code).toBe(2);
    expect(out.stderr).toBe('act2-heartbeat: --log-file: cannot open "/nonexistent-dir/x.log" (ENOENT)\n');
  });
});
