import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 11, finding 10 (review): the lock file was created empty and written afterwards; a second
// server reading it in between took it for a crashed one's, removed it and took its own lock. Two
// processes here start at the same instant, round after round, on a fresh file or over a stale
// lock: exactly one must win each round.

const ROUNDS = 160;

const CHILD = `
import { acquireServeLock } from './serve-lock.mjs';
let lock;
process.on('message', (m) => {
  if (m.go) {
    while (Date.now() < m.at) {} // start together
    try {
      lock = acquireServeLock(m.file);
      process.send({ won: true });
    } catch (err) {
      process.send({ won: false, code: err.code, message: err.message });
    }
  } else if (m.release) {
    lock?.release();
    lock = undefined;
    process.send({ released: true });
  }
});
process.send({ ready: true });
`;

describe('the serve lock under a race', () => {
  const dir = mkdtempSync(join(tmpdir(), 'act2-lock-race-'));
  const children: ChildProcess[] = [];
  let deadPid = 0;

  beforeAll(async () => {
    // The lock module as plain JavaScript (it imports node: modules only), for two real processes.
    const source = readFileSync(fileURLToPath(new URL('../src/db/serve-lock.ts', import.meta.url)), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    writeFileSync(join(dir, 'serve-lock.mjs'), js);
    writeFileSync(join(dir, 'child.mjs'), CHILD);
    for (let i = 0; i < 2; i += 1) {
      const child = fork(join(dir, 'child.mjs'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      await next(child);
    }
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    deadPid = gone.pid!;
  });
  afterAll(() => {
    for (const child of children) child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`lets exactly one of two servers starting at once take it, ${ROUNDS} rounds, half over a stale lock`, { timeout: 120_000 }, async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const file = join(dir, `r${round}.sqlite`);
      if (round % 2 === 1) writeFileSync(`${file}.lock`, `${JSON.stringify({ pid: deadPid, hostname: hostname(), startedAt: 'earlier' })}\n`);
      const at = Date.now() + 15;
      const answers = children.map((child) => next(child));
      for (const child of children) child.send({ go: true, file, at });
      const results = (await Promise.all(answers)) as Array<{ won: boolean; code?: string; message?: string }>;
      const winners = results.filter((r) => r.won).length;
      outcomes.push(`${winners}`);
      for (const r of results) if (!r.won) expect(r.code, r.message).toBe('ACT2_DB_IN_USE');
      const lock = JSON.parse(readFileSync(`${file}.lock`, 'utf8'));
      expect(children.map((c) => c.pid)).toContain(lock.pid);
      await Promise.all(children.map((child) => {
        const released = next(child);
        child.send({ release: true });
        return released;
      }));
    }
    expect(outcomes.filter((o) => o !== '1')).toEqual([]);
    // No private file (draft or set-aside stale lock) is left behind.
    expect(readdirSync(dir).filter((name) => name.includes('.lock.'))).toEqual([]);
  });
});

function next(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve) => child.once('message', resolve));
}
