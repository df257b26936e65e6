import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSaltApiSim, type SaltApiSim } from '@act2/salt-api-sim';
import { runAdminCli, serverConfig, startServer } from '@act2/server';
import { Job, JobSummary, MasterList, MinionDetail, type Master } from '@act2/shared';
import type { AgentRun, RunAgent } from './agent-runner.js';
import { demoFleet, type DemoMaster } from './fleet.js';
import { jobTable, lookupTable, mastersTable } from './summary.js';

export interface DemoOptions {
  runAgent: RunAgent;
  print: (line: string) => void;
  /** Where the SQLite file goes. */
  dataDir: string;
  /** Multiplies the simulated salt delays (a down minion costs ping + gather-job timeout). */
  timeScale?: number;
}

export interface DemoResult {
  runs: Record<string, AgentRun>;
  masters: Master[];
  /** The shared minion of the HA pair, with both masters healthy. */
  shared: MinionDetail;
  /** A job on the shared minion with both masters of the pair up: it runs on the first candidate. */
  firstJob: Job;
  /** The same job after the first candidate's salt-api stopped: two attempts, the answer from the other master. */
  failoverJob: Job;
  /** The shared minion after the stopped master's agent ran again (it reports the master stopped). */
  afterFailure: MinionDetail;
}

const SALT_USER = 'salt-api';
const SALT_PASSWORD = 'demo-only-password';

/**
 * `act2-server token create …` against the demo's database, as an admin would run it before the
 * first start; returns the token it prints once.
 */
async function createToken(db: string, name: string, scope: string): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCli(['node', 'act2-server', 'token', 'create', '--name', name, '--scope', scope, '--db', db], {
    writeOut: (text) => out.push(text),
    writeErr: (text) => err.push(text),
  });
  if (code !== 0) throw new Error(`act2-server token create failed: ${err.join('')}`);
  return out.join('').trim();
}

async function getJson(url: string, token: string): Promise<unknown> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return res.json();
}

/** POST /api/v1/jobs, then GET /api/v1/jobs/{id} until the job is finished. */
async function runJob(serverUrl: string, token: string, body: unknown): Promise<Job> {
  const res = await fetch(`${serverUrl}/api/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST /api/v1/jobs answered ${res.status}: ${await res.text()}`);
  const { id } = JobSummary.parse(await res.json());
  for (let i = 0; i < 600; i += 1) {
    const job = Job.parse(await getJson(`${serverUrl}/api/v1/jobs/${id}`, token));
    if (job.status !== 'pending' && job.status !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

function describeRun(master: DemoMaster, run: AgentRun): string {
  const line = (msg: string) => run.logs.find((l) => l.msg === msg);
  const status = line('manage.status done');
  const registered = line('register ok');
  const failed = line('heartbeat failed') ?? line('salt-api unavailable');
  const what = status ? `${String(status.up)} up, ${String(status.down)} down` : `salt-api failed: ${String(failed?.reason ?? 'unknown')}`;
  const sent = registered ? `registered in ${String(registered.ms)} ms` : 'NOT registered';
  return `  ${master.sn.padEnd(13)} exit ${run.exitCode}  ${Math.round(run.ms)} ms  ${what}; ${sent}`;
}

/**
 * The whole loop on one machine: act2-server on SQLite, three simulated salt-masters (two of them
 * an HA pair sharing minions), act2-heartbeat once for each, then what act2 knows. Everything it
 * starts is closed before it returns, also on failure.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { print, runAgent } = options;
  const closers: Array<() => Promise<void>> = [];
  try {
    const db = join(options.dataDir, 'act2.sqlite');
    // As on a real install: tokens first (auth is on by default), the agents' one in a 0600 file.
    const agentsToken = await createToken(db, 'demo-agents', 'register');
    const readToken = await createToken(db, 'demo-reader', 'read');
    const tokenFile = join(options.dataDir, 'agents.token');
    writeFileSync(tokenFile, `${agentsToken}\n`, { mode: 0o600 });
    const jobsToken = await createToken(db, 'demo-operator', 'jobs');
    const server = await startServer(
      serverConfig({ db, port: 0, host: '127.0.0.1', logLevel: 'warn', instanceId: 'demo', jobPollIntervalMs: 200, jobLeaseMs: 10_000, jobSaltTimeoutMs: 20_000 }),
    );
    closers.push(() => server.close());
    print(`act2-server    ${server.url}   (embedded SQLite: ${db})`);
    print(`tokens         demo-agents (scope register, in ${tokenFile}), demo-reader (scope read); each master keeps its own key in ${join(options.dataDir, 'state')}/<sn>`);

    const fleet = demoFleet();
    const sims = new Map<string, { sim: SaltApiSim; url: string }>();
    for (const master of fleet) {
      const sim = createSaltApiSim({
        minions: master.minions,
        users: [{ name: SALT_USER, password: SALT_PASSWORD, eauth: 'pam', perms: ['.*', '@runner', '@wheel', '@jobs'] }],
        timeScale: options.timeScale ?? 0.25,
      });
      const url = await sim.listen({ port: 0, host: '127.0.0.1' });
      closers.push(() => sim.close());
      sims.set(master.sn, { sim, url });
      const down = master.minions.filter((m) => !m.up).length;
      const pair = master.pair ? `, HA pair with ${master.pair}` : '';
      print(`salt-master    ${master.sn.padEnd(13)} salt-api ${url}  ${master.minions.length} minions (${down} down${pair})`);
    }

    const heartbeat = async (master: DemoMaster): Promise<AgentRun> => {
      const args = [
        '--salt-server', sims.get(master.sn)?.url ?? '',
        '--salt-user', SALT_USER,
        '--act2-server', server.url,
        '--idc', master.idc,
        '--master-sn', master.sn,
        '--ping-timeout', '1s',
        '--gather-job-timeout', '1s',
        '--deadline', '20s',
        '--act2-token-file', tokenFile,
        '--state-dir', join(options.dataDir, 'state', master.sn),
      ];
      const run = await runAgent(args, { ACT2_SALT_PASSWORD: SALT_PASSWORD });
      print(describeRun(master, run));
      return run;
    };

    print('\nact2-heartbeat, once on each master (the bundle, as cron runs it):');
    const runs: Record<string, AgentRun> = {};
    for (const master of fleet) runs[master.sn] = await heartbeat(master);

    const masters = MasterList.parse(await getJson(`${server.url}/api/v1/masters`, readToken)).items;
    print('\nWhat act2 knows (GET /api/v1/masters):');
    print(mastersTable(masters));

    const sharedId = fleet[1]?.minions[0]?.id ?? '';
    const shared = MinionDetail.parse(await getJson(`${server.url}/api/v1/minions/${encodeURIComponent(sharedId)}`, readToken));
    print(`\nWhich master runs jobs on ${sharedId} (${shared.ips.join(', ')})? GET /api/v1/minions/${sharedId}:`);
    print(lookupTable(shared));

    const job = { target: { minions: [sharedId] }, fun: 'cmd.run', arg: ['echo hello from act2'] };
    print(`\nA job on ${sharedId}: POST /api/v1/jobs ${JSON.stringify(job)}`);
    const firstJob = await runJob(server.url, jobsToken, job);
    print(jobTable(firstJob));

    const failingSn = shared.masters[0]?.sn ?? '';
    print(`\n${failingSn}'s salt-api stops (act2 still believes it running); the same job again:`);
    await sims.get(failingSn)?.sim.close();
    const failoverJob = await runJob(server.url, jobsToken, job);
    print(jobTable(failoverJob));

    const failing = fleet.find((m) => m.sn === failingSn);
    if (!failing) throw new Error('demo fleet has no HA pair');
    print(`\n${failing.sn}'s agent runs again and reports the master stopped:`);
    runs[`${failing.sn}#2`] = await heartbeat(failing);
    const afterFailure = MinionDetail.parse(await getJson(`${server.url}/api/v1/minions/${encodeURIComponent(sharedId)}`, readToken));
    print(lookupTable(afterFailure));
    return { runs, masters, shared, firstJob, failoverJob, afterFailure };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}
