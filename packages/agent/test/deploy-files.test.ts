import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../src/config.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `m h dom mon dow user command` entries of a cron.d file (variable lines and comments skipped). */
function cronEntries(text: string): string[] {
  return text.split('\n').filter((line) => /^[\d*]/.test(line.trim()));
}

/** The command of a cron.d entry as argv after `node <script>`, and its leading VAR=value words. */
function agentArgv(entry: string): { env: Record<string, string>; argv: string[] } {
  const words = entry.trim().split(/\s+/).slice(6);
  const env: Record<string, string> = {};
  while (words[0]?.includes('=')) {
    const [key = '', value = ''] = words.shift()!.split('=');
    env[key] = value;
  }
  expect(words.slice(0, 2)).toEqual(['node', '/opt/act2/act2-heartbeat.js']);
  return { env, argv: words.slice(2) };
}

describe('the cron entries we ship and document', () => {
  const shipped = readFileSync(`${ROOT}deploy/cron/act2-heartbeat`, 'utf8');
  const readmeBlock = /```cron\n([\s\S]*?)```/.exec(readFileSync(`${ROOT}README.md`, 'utf8'))?.[1] ?? '';

  it.each([
    ['deploy/cron/act2-heartbeat', shipped, 1],
    ['the README', readmeBlock, 3],
  ])('%s: one line per entry (cron has no continuation lines), with flags the agent accepts', (_, text, count) => {
    const entries = cronEntries(text);

    expect(entries).toHaveLength(count);
    expect(text).not.toMatch(/\\\n/);
    for (const entry of entries) {
      const { env, argv } = agentArgv(entry);
      const parsed = parseAgentConfig(argv, env, { readFile: () => 'act2t_' + 'A'.repeat(43) });
      expect('errors' in parsed ? parsed.errors : [], entry).toEqual([]);
      expect('config' in parsed && parsed.config).toMatchObject({ idc: 'sh-01', logFile: '/var/log/act2-heartbeat.log' });
    }
  });

  it("the cron.d file is the README's salt-master entry", () => {
    expect(cronEntries(readmeBlock)).toEqual(expect.arrayContaining(cronEntries(shipped)));
  });
});
