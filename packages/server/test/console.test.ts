import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCliCaptured } from '@act2/agent/testing';
import { createSaltApiSim, generateMinions, type SaltApiSim } from '@act2/salt-api-sim';
import { TOKEN_PREFIX } from '@act2/shared';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildConsole } from '../console/build.mjs';
import { startServer, type RunningServer } from '../src/start.js';
import { chromiumAvailable, launchChromium, type Browser } from './helpers/chromium.js';
import { addToken } from './helpers/auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { payload } from './helpers/payloads.js';

const runBrowser = chromiumAvailable || process.env.CI === 'true';
if (!runBrowser) console.warn('[act2-server tests] /usr/bin/chromium not found: the web console tests are SKIPPED');

/** Screenshots land here (gitignored) so a person can look at what the tests saw. */
export const SCREENSHOTS = fileURLToPath(new URL('./.artifacts/console/', import.meta.url));
let TOKEN = '';
/** An operator's token: jobs (and their returns) need scope `jobs`. */
let JOB_TOKEN = '';
const SALT = { name: 'salt-api', password: 'console-test-pw', eauth: 'pam' as const, perms: ['.*', '@runner', '@wheel', '@jobs'] };

(runBrowser ? describe : describe.skip)('web console in Debian chromium', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let consoleDir = '';
  const sims: SaltApiSim[] = [];
  const apiRequests: Array<{ url: string; authorization: string | undefined }> = [];
  const shared = generateMinions({ count: 12, down: 1, seed: 'console-bj', prefix: 'bj-app-', domain: 'bj.example.net' });

  beforeAll(async () => {
    consoleDir = await buildConsole(mkdtempSync(join(tmpdir(), 'act2-console-')));
    mkdirSync(SCREENSHOTS, { recursive: true });
    database = await createTestDatabase('sqlite');
    // Auth on, as in production: the console signs in with a read token made the way `act2-server
    // token create` makes it; the simulated masters' agents register anonymously (heartbeat.py style).
    TOKEN = await addToken(database.db, 'console-reader', ['read']);
    JOB_TOKEN = await addToken(database.db, 'console-operator', ['read', 'jobs']);
    server = await startServer(
      database.config({ host: '127.0.0.1', port: 0, auth: 'tokens', allowAnonymousRegister: true, jobFunctions: ['test.*'], jobPollIntervalMs: 100 }),
      { consoleDir },
    );

    // Three simulated salt-masters (one standalone, an HA pair sharing minions), one agent run each.
    const fleet = [
      { sn: 'SH-MASTER-01', idc: 'sh-01', minions: generateMinions({ count: 20, down: 2, seed: 'console-sh', prefix: 'sh-web-', domain: 'sh.example.net' }) },
      { sn: 'BJ-MASTER-01', idc: 'bj-01', minions: shared },
      { sn: 'BJ-MASTER-02', idc: 'bj-01', minions: shared },
    ];
    for (const master of fleet) {
      const sim = createSaltApiSim({ minions: master.minions, users: [SALT], timeScale: 0.05 });
      sims.push(sim);
      const url = await sim.listen({ port: 0, host: '127.0.0.1' });
      const run = await runCliCaptured(
        ['--salt-server', url, '--act2-server', server.url, '--idc', master.idc, '--master-sn', master.sn, '--ping-timeout', '1s', '--gather-job-timeout', '1s'],
        { ACT2_SALT_PASSWORD: SALT.password },
      );
      expect(run.exitCode, run.text).toBe(0);
    }
    // BJ-MASTER-02 was registered last: make BJ-MASTER-01 the fresher one, so the job order is 01 then 02.
    await runCliCaptured(['--salt-server', sims[1]!.url, '--act2-server', server.url, '--idc', 'bj-01', '--master-sn', 'BJ-MASTER-01', '--ping-timeout', '1s', '--gather-job-timeout', '1s'], {
      ACT2_SALT_PASSWORD: SALT.password,
    });
    // Enough further masters for more than one page (50 a page).
    for (let i = 0; i < 60; i += 1) {
      const sn = `GZ-MASTER-${String(i).padStart(3, '0')}`;
      const response = await fetch(`${server.url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload(sn, [{ sn: `gz-db-${i}`, status: i % 7 === 0 ? 'stopped' : 'running', ips: [`10.60.0.${i + 1}`] }], { idc: 'gz-02', ...(i % 10 === 9 ? { status: 'stopped' } : {}) })),
      });
      expect(response.status).toBe(200);
    }

    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/')) apiRequests.push({ url: request.url(), authorization: request.headers().authorization });
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const sim of sims) await sim.close().catch(() => undefined);
    await database?.destroy();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  it('asks for a token, then lists masters 50 a page, filtered by the server', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot('01-sign-in');
    // A token act2 does not know: the data calls answer 401 and the page says so.
    await page.getByLabel('API token').fill(`${TOKEN_PREFIX}${'A'.repeat(43)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/ACT2_UNAUTHORIZED/);
    await shot('01b-unknown-token');
    await page.getByRole('button', { name: 'Sign out' }).click();
    apiRequests.length = 0;
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const rows = page.locator('[data-testid=masters] tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(50);
    await shot('02-masters');
    await page.getByTestId('next-page').click();
    await page.getByText('End of list').waitFor();
    expect(await rows.count()).toBe(63 - 50);

    await page.getByLabel('IDC').fill('bj-01');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    const bj = await rows.allInnerTexts();
    expect(bj.map((r) => r.split('\t')[0]!.split('\n')[0])).toEqual(['BJ-MASTER-01', 'BJ-MASTER-02']);
    expect(bj[0]).toMatch(/running\tbj-01\tsalt\t11\t1\t/);

    await page.getByLabel('Status').selectOption('stopped');
    await page.getByLabel('IDC').fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.count()).toBe(6);
    await shot('03-masters-stopped');
  });

  it("shows a master's page with its minions and recent events", async () => {
    await page.goto(`${server.url}/#/masters?idc=sh-01`);
    await page.getByRole('link', { name: 'SH-MASTER-01' }).click();
    await page.getByTestId('master-facts').waitFor();

    expect(await page.getByTestId('master-facts').innerText()).toMatch(/18 running, 2 stopped/);
    expect(await page.locator('[data-testid=master-minions] tbody tr').count()).toBe(20);
    const kinds = await page.locator('[data-testid=events] tbody tr td:nth-child(2)').allInnerTexts();
    // The 20 latest: the registration's 20 minion.joined, recorded after its master.registered.
    expect(kinds).toEqual(Array(20).fill('minion.joined'));
    await shot('04-master');
  });

  it('finds every master that manages a minion, in job order, by id and by IP', async () => {
    const minion = shared.find((m) => m.up)!;
    await page.goto(`${server.url}/#/search`);
    // The page before had the header's search box: fill the search page's own, once it is shown.
    await page.getByRole('heading', { name: 'Find a minion' }).waitFor();
    await page.getByLabel('minion id or IP').fill(minion.id);
    await page.getByRole('button', { name: 'Search' }).click();
    // The table can be drawn before its rows: wait for a row, not only the table.
    await page.locator('[data-testid=managing-masters] tbody tr').first().waitFor();
    const byId = await page.locator('[data-testid=managing-masters] tbody tr td:nth-child(2)').allInnerTexts();
    await shot('05-search-id');

    const ip = (await page.getByTestId('minion-result').locator('p').innerText()).replace('IPs: ', '').split(', ')[0]!;
    await page.getByLabel('minion id or IP').fill(ip);
    // The id's answer shows the same masters: take what the lookup by IP answered, and wait until
    // the page shows exactly that (the table can be drawn before its rows).
    const lookedUp = page.waitForResponse((r) => r.url().includes('/api/v1/lookup?') && r.status() === 200);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=\d/);
    const answer = (await (await lookedUp).json()) as { items: Array<{ masters: Array<{ sn: string }> }> };
    const byIp = answer.items.flatMap((item) => item.masters.map((m) => m.sn));
    const mastersShown = () => page.locator('[data-testid=managing-masters] tbody tr td:nth-child(2)').allInnerTexts();
    await expect.poll(mastersShown, { timeout: 10_000 }).toEqual(byIp);

    await page.getByLabel('minion id or IP').fill('no-such-minion');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('no-match').waitFor();

    expect(byId).toEqual(['BJ-MASTER-01', 'BJ-MASTER-02']);
    expect(byIp).toEqual(byId);
  });

  it('shows the events timeline newest first, filtered by kind, paged by the server', async () => {
    await page.goto(`${server.url}/#/events`);
    await page.locator('[data-testid=events] tbody tr').first().waitFor();
    const first = await page.locator('[data-testid=events] tbody tr').first().innerText();
    await page.getByLabel('Kind').selectOption('master.registered');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/kind=master.registered/);
    const rows = page.locator('[data-testid=events] tbody tr');
    await expect.poll(async () => new Set(await rows.locator('td:nth-child(2)').allInnerTexts())).toEqual(new Set(['master.registered']));
    const newest = await rows.locator('td:nth-child(3)').allInnerTexts();
    await shot('06-events');
    await page.getByTestId('next-page').click();
    await page.getByText('End of list').waitFor();
    const oldest = await rows.locator('td:nth-child(3)').allInnerTexts();

    expect(first).toContain('GZ-MASTER-059');
    expect(newest).toHaveLength(50);
    expect(newest.slice(0, 2)).toEqual(['GZ-MASTER-059', 'GZ-MASTER-058']);
    expect(oldest.slice(-3)).toEqual(['BJ-MASTER-02', 'BJ-MASTER-01', 'SH-MASTER-01']);
    expect(newest.length + oldest.length).toBe(63);
  });

  it('sent the signed-in token as Authorization: Bearer on every data call', () => {
    expect(apiRequests.length).toBeGreaterThan(5);
    expect(apiRequests.filter((r) => r.authorization !== `Bearer ${TOKEN}`)).toEqual([]);
  });

  it("opens a job from the jobs list and shows each target's outcome, master, attempts and retcode", async () => {
    const minion = shared.find((m) => m.up)!;
    const headers = { authorization: `Bearer ${JOB_TOKEN}`, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ target: { minions: [minion.id, 'no-such-minion'] }, fun: 'test.ping' }) });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    await expect
      .poll(async () => ((await (await fetch(`${server.url}/api/v1/jobs/${id}`, { headers })).json()) as { status: string }).status, { timeout: 15_000 })
      .toBe('partial');

    await page.goto(`${server.url}/#/jobs`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').fill(JOB_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: id }).click();
    await page.waitForURL(new RegExp(`#/jobs/${id}$`));
    const rows = page.locator('[data-testid=job-targets] tbody tr');
    await rows.first().waitFor();
    const cells = (i: number) => rows.nth(i).locator('td').allInnerTexts();
    await shot('08-job');

    expect(await page.getByTestId('job-facts').innerText()).toMatch(/partial[\s\S]*test\.ping[\s\S]*returned 1, unknown_target 1/);
    expect(await rows.count()).toBe(2);
    expect((await cells(0)).slice(0, 5)).toEqual([minion.id, 'returned', 'BJ-MASTER-01', 'BJ-MASTER-01: ok', '0']);
    expect((await cells(1)).slice(0, 5)).toEqual(['no-such-minion', 'unknown_target', '', '', '']);
    expect((await cells(1))[5]).toMatch(/no master reports this minion/);
  });

  it('serves the API reference at /docs without any outside request', async () => {
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith('data:')) outside.push(request.url());
    });
    await page.goto(`${server.url}/docs/`);
    await page.getByText('/api/v1/masters/{sn}').first().waitFor();
    await shot('07-docs');
    expect(outside).toEqual([]);
  });
});
