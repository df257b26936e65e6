/**
 * Just enough of a shell for `cmd.run` / `cmd.run_all` in the job captures (80–131): `echo`, `exit N`,
 * `seq A B`, `sleep N` (adds to the minion's latency), `echo x >&2`, `;`-separated, and the jinja
 * `{% if grains.id == "x" %}…{% endif %}` of capture 100. Anything else runs as "command not found".
 */
import type { Grains } from './types.js';

export interface ShellResult {
  stdout: string;
  stderr: string;
  retcode: number;
  /** Simulated seconds the command slept. */
  sleptS: number;
}

const JINJA_IF = /\{%\s*if\s+grains\.(\w+)\s*==\s*"([^"]*)"\s*%\}([\s\S]*?)\{%\s*endif\s*%\}/g;

/** The one jinja construct the captures use; other templates pass through untouched. */
export function renderJinja(cmd: string, grains: Grains): string {
  return cmd.replace(JINJA_IF, (_all, key: string, value: string, body: string) => (String(grains[key] ?? '') === value ? body : ''));
}

function seq(args: string[]): string {
  const nums = args.map(Number);
  const [first, last] = nums.length >= 2 ? [nums[0] ?? 1, nums[1] ?? 0] : [1, nums[0] ?? 0];
  if (!Number.isFinite(first) || !Number.isFinite(last) || last - first > 5_000_000) return '';
  const out: string[] = [];
  for (let i = first; i <= last; i++) out.push(String(i));
  return out.join('\n');
}

export function runShell(cmd: string): ShellResult {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let sleptS = 0;
  let retcode = 0;
  for (const raw of cmd.split(/;|\n/)) {
    const part = raw.trim();
    if (part === '') continue;
    const toErr = /\s*>&2\s*$/.test(part);
    const words = part.replace(/\s*>&2\s*$/, '').split(/\s+/);
    const [name = '', ...args] = words;
    let text: string | undefined;
    if (name === 'exit') return { stdout: stdout.join('\n'), stderr: stderr.join('\n'), retcode: Number(args[0] ?? 0) || 0, sleptS };
    if (name === 'echo') text = args.join(' ').replace(/^(["'])(.*)\1$/, '$2');
    else if (name === 'seq') text = seq(args);
    else if (name === 'sleep') sleptS += Number(args[0]) || 0;
    else if (name === 'true') retcode = 0;
    else if (name === 'false') retcode = 1;
    else {
      stderr.push(`/bin/sh: 1: ${name}: not found`);
      retcode = 127;
      continue;
    }
    if (name !== 'false') retcode = 0;
    if (text !== undefined) (toErr ? stderr : stdout).push(text);
  }
  return { stdout: stdout.join('\n'), stderr: stderr.join('\n'), retcode, sleptS };
}
