import { hasControlCharacter } from '@act2/shared';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { getMasterCredentials } from '../src/masters/repository.js';
import { postRegister, useTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { testBox } from './helpers/deps.js';

// Issue 11, finding 3: lone surrogates made two sns one row. Property: every contract string the
// server accepts reads back identical (through the read API, or decrypted for the credentials) on
// every dialect; a string that is not well-formed Unicode is refused with a 400 naming its field.

/** Any UTF-16 code unit sequence: astral characters, lone surrogates, controls, odd spaces, combining marks. */
const unit = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((c) => (c >= 0xd800 && c <= 0xdfff ? String.fromCharCode(c) : String.fromCodePoint(c))) },
  { weight: 2, arbitrary: fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00', '\u00a0', '\ufeff', '\u0301', 'é', '\u2028', ' ', '\t', '\n', '\u0000', '/', '%', '?', '#') },
);
const text = (maxLength: number) => fc.string({ unit, maxLength });
/** Well-formed text without control characters: what a real master sends, so the accepted branch is always exercised. */
const cleanUnit = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 3, arbitrary: fc.integer({ min: 0xa0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)) },
  { weight: 2, arbitrary: fc.constantFrom('\ud83d\ude00', '\u00a0', '\ufeff', '\u0301', 'é', ' ', '/', '%', '?', '#') },
);
const cleanText = (maxLength: number) => fc.string({ unit: cleanUnit, minLength: 1, maxLength });
/** Half the records are clean throughout (so well over ten are accepted in every run), half mix in anything. */
const registrationStrings = fc.oneof(
  fc.record({ sn: cleanText(40), idc: cleanText(20), path: cleanText(20), minion: cleanText(30), username: cleanText(20), password: cleanText(30), error: cleanText(40), stopped: fc.boolean() }),
  fc.record({ sn: text(40), idc: text(20), path: text(20), minion: text(30), username: text(20), password: text(30), error: text(40), stopped: fc.boolean() }),
);
const isWellFormed = (s: string) => s.isWellFormed();

let run = 0;

describeEachDialect('contract strings round-trip', (dialect) => {
  const t = useTestApp(dialect);

  it('reads back exactly what was accepted, and names every field holding a lone surrogate', { timeout: 120_000 }, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        registrationStrings,
        async (v) => {
          run += 1;
          // A prefix keeps runs apart; the generated part is what is tested.
          const sn = `p${run}-${v.sn}`;
          const minion = `m${run}-${v.minion}`;
          const server = `http://salt-${run}.example:8001/${v.path}`;
          const body = {
            master: { sn, server, status: v.stopped ? 'stopped' : 'running', idc: v.idc, type: 'salt', options: { username: v.username, password: v.password }, ...(v.stopped ? { error: v.error } : {}) },
            minions: [{ sn: minion, status: 'running', ips: ['10.1.2.3'] }],
          };
          const response = await postRegister(t.current.app, body);
          expect(response.statusCode).toBeLessThan(500);

          const fields: Array<[string, string]> = [
            ['master.sn', sn],
            ['master.server', server],
            ['master.idc', v.idc],
            ['master.options.username', v.username],
            ['master.options.password', v.password],
            ['minions.0.sn', minion],
            ...(v.stopped ? ([['master.error', v.error]] as Array<[string, string]>) : []),
          ];
          if (response.statusCode !== 200) {
            expect(response.statusCode).toBe(400);
            const named = new Set<string>(response.json().issues.map((i: { path: string }) => i.path));
            for (const [path, value] of fields) if (!isWellFormed(value)) expect([path, named.has(path)]).toEqual([path, true]);
            return;
          }
          accepted += 1;
          for (const [, value] of fields) expect(isWellFormed(value)).toBe(true);
          const storedSn = sn.trim();
          const detail = await t.current.app.inject({ url: `/api/v1/masters/${encodeURIComponent(storedSn)}` });
          expect(detail.statusCode).toBe(200);
          const master = detail.json();
          expect({ sn: master.sn, server: master.server, idc: master.idc, error: master.error }).toEqual({
            sn: storedSn,
            server: server.trim(),
            idc: v.idc.trim(),
            error: v.stopped ? v.error : null,
          });
          const credentials = await getMasterCredentials(t.current.database.db, testBox, storedSn);
          expect(credentials).toMatchObject({ username: v.username, password: v.password });
          if (!v.stopped) {
            expect(master.minions.map((m: { sn: string }) => m.sn)).toEqual([minion.trim()]);
            const byMinion = await t.current.app.inject({ url: `/api/v1/minions/${encodeURIComponent(minion.trim())}` });
            expect([byMinion.json().sn, byMinion.json().masters.map((m: { sn: string }) => m.sn)]).toEqual([minion.trim(), [storedSn]]);
          }
        },
      ),
      { numRuns: 150, seed: Number(process.env.ACT2_FC_SEED ?? Date.now() % 2 ** 31) },
    );
    // The generator must reach both outcomes, or the property proves little.
    expect(accepted).toBeGreaterThan(10);
  });

  it('keeps two sns that differ only in lone surrogates from ever becoming one row', async () => {
    const responses = await Promise.all(['\ud800', '\udc00'].map((s) => postRegister(t.current.app, { master: { sn: `r2-${s}`, server: 'http://r2:1', status: 'running', idc: 'i', type: 'salt' }, minions: [] })));
    expect(responses.map((r) => r.statusCode)).toEqual([400, 400]);
    expect(hasControlCharacter('r2-\ud800')).toBe(false);
  });
});
