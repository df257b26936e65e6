/**
 * The runner functions an agent (or a curious operator) calls, with salt 3006's signatures and
 * docstrings (the docstring is part of the "Passed invalid arguments" answer). Each returns a plan: the
 * value and how long salt would take, so the caller can apply the API wait (504) and timeScale.
 */
import type { PySignature } from './call-args.js';
import { PyFloat } from './py-json.js';
import type { SimRuntime } from './runtime.js';
import { silentMinionWaitS } from './runtime.js';
import { matchMinions } from './targeting.js';
import type { SimMinion } from './types.js';

export interface RunnerPlan {
  value: unknown;
  /** Simulated salt seconds (scaled by timeScale). */
  simSeconds: number;
  /** Real milliseconds on top (the configured ping latency). */
  realMs?: number;
}

export interface RunnerDef {
  sig: PySignature;
  plan(rt: SimRuntime, args: Record<string, unknown>): RunnerPlan;
}

const STATUS_DOC = `
    .. versionchanged:: 2017.7.0

        The \`\`expr_form\`\` argument has been renamed to \`\`tgt_type\`\`, earlier
        releases must use \`\`expr_form\`\`.

    Print the status of all known salt minions

    CLI Example:

    .. code-block:: bash

        salt-run manage.status
        salt-run manage.status tgt="webservers" tgt_type="nodegroup"
        salt-run manage.status timeout=5 gather_job_timeout=10
    `;

const GRAINS_DOC = `
    .. versionchanged:: 2017.7.0
        The \`\`expr_form\`\` argument has been renamed to \`\`tgt_type\`\`, earlier
        releases must use \`\`expr_form\`\`.

    Return cached grains of the targeted minions.

    tgt
        Target to match minion ids.

        .. versionchanged:: 2017.7.5,2018.3.0
            The \`\`tgt\`\` argument is now required to display cached grains. If
            not used, the function will not return grains. This optional
            argument will become mandatory in the Salt \`\`3001\`\` release.

    tgt_type
        The type of targeting to use for matching, such as \`\`glob\`\`, \`\`list\`\`,
        etc.

    CLI Example:

    .. code-block:: bash

        salt-run cache.grains '*'
    `;

const byId = (a: SimMinion, b: SimMinion) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * `manage._ping`: publishes test.ping as root and waits for the silent ones (timeout + one find_job
 * round); answers sorted. Nothing targeted → `{"up": [], "down": []}` at once (2019.2+).
 */
function ping(rt: SimRuntime, a: Record<string, unknown>): { up: string[]; down: string[]; plan: Omit<RunnerPlan, 'value'> } {
  const targeted = matchMinions(rt.fleet.all(), a.tgt, a.tgt_type);
  if (targeted.length === 0) return { up: [], down: [], plan: { simSeconds: 0 } };
  const sorted = [...targeted].sort(byId);
  const up = sorted.filter((m) => m.up).map((m) => m.id);
  const down = sorted.filter((m) => !m.up).map((m) => m.id);
  const job = rt.jobs.record({ fun: 'test.ping', args: [], target: a.tgt ?? '*', tgtType: String(a.tgt_type ?? 'glob'), user: 'root', minions: targeted.map((m) => m.id) });
  for (const id of up) job.results.set(id, { return: true, retcode: 0, success: true });
  if (down.length > 0) {
    rt.jobs.record({ fun: 'saltutil.find_job', args: [job.jid], target: down, tgtType: 'list', user: 'root', minions: down });
    return { up, down, plan: { simSeconds: silentMinionWaitS(a.timeout, a.gather_job_timeout) } };
  }
  return { up, down, plan: { simSeconds: 0, realMs: rt.pingLatencyMs } };
}

const pingParams = [
  { name: 'tgt', default: '*' },
  { name: 'tgt_type', default: 'glob' },
  { name: 'timeout', default: null },
  { name: 'gather_job_timeout', default: null },
];

const presenceParams = [{ name: 'subset', default: null }, { name: 'show_ip', default: false }];

function presence(rt: SimRuntime, a: Record<string, unknown>, wantUp: boolean): unknown {
  const subset = Array.isArray(a.subset) ? new Set(a.subset.map(String)) : undefined;
  const picked = rt.fleet.all().filter((m) => m.up === wantUp && (!subset || subset.has(m.id)));
  if (wantUp && a.show_ip) {
    return Object.fromEntries(picked.map((m) => [m.id, (m.grains.ipv4 as string[] | undefined)?.find((ip) => !ip.startsWith('127.')) ?? '']));
  }
  const ids = picked.map((m) => m.id);
  return wantUp ? ids.sort() : ids;
}

const doc = (text: string) => `\n    ${text}\n    `;

export const RUNNERS: Record<string, RunnerDef> = {
  'manage.status': {
    sig: { name: 'status', params: [{ name: 'output', default: true }, ...pingParams], doc: STATUS_DOC },
    plan: (rt, a) => {
      const r = ping(rt, a);
      return { value: { up: r.up, down: r.down }, ...r.plan };
    },
  },
  'manage.up': {
    sig: { name: 'up', params: pingParams, doc: doc('Print a list of all of the minions that are up') },
    plan: (rt, a) => {
      const r = ping(rt, a);
      return { value: r.up, ...r.plan };
    },
  },
  'manage.down': {
    sig: { name: 'down', params: [{ name: 'removekeys', default: false }, ...pingParams], doc: doc('Print a list of all the down or unresponsive salt minions') },
    plan: (rt, a) => {
      const r = ping(rt, a);
      return { value: r.down, ...r.plan };
    },
  },
  'manage.present': {
    sig: { name: 'present', params: presenceParams, doc: doc('Print a list of all minions that are up according to Salt\'s presence detection') },
    plan: (rt, a) => ({ value: presence(rt, a, true), simSeconds: 0 }),
  },
  'manage.not_present': {
    sig: { name: 'not_present', params: presenceParams, doc: doc('Print a list of all minions that are NOT up according to Salt\'s presence detection') },
    plan: (rt, a) => ({ value: presence(rt, a, false), simSeconds: 0 }),
  },
  'cache.grains': {
    sig: { name: 'grains', params: [{ name: 'tgt', required: true }, { name: 'tgt_type', default: 'glob' }], varKwargs: true, doc: GRAINS_DOC },
    plan: (rt, a) => {
      // Served from the master's cache: down minions included with their last grains (capture 25).
      const targeted = matchMinions(rt.fleet.all(), a.tgt, a.tgt_type);
      const value = new Map(targeted.map((m) => [m.id, m.cached === false ? {} : rt.fleet.grainsRaw(m)]));
      return { value, simSeconds: 0 };
    },
  },
  // What POST /token calls: a raw Salt eauth token, not a session (capture 51).
  'auth.mk_token': {
    sig: { name: 'mk_token', params: [], varKwargs: true, doc: doc('Create an eauth token using provided credentials') },
    plan: (rt, a) => {
      const check = rt.auth.checkCredentials(a.username, a.password, a.eauth);
      if (!check.ok) return { value: {}, simSeconds: 0 };
      const t = rt.auth.mintToken(check.user, String(a.eauth), rt.nowMs() / 1000);
      return { value: { start: new PyFloat(t.start), expire: new PyFloat(t.expire), name: t.name, eauth: t.eauth, token: t.token }, simSeconds: 0 };
    },
  },
  'jobs.list_jobs': {
    sig: {
      name: 'list_jobs',
      params: [
        { name: 'ext_source', default: null },
        { name: 'outputter', default: null },
        { name: 'search_metadata', default: null },
        { name: 'search_function', default: null },
        { name: 'search_target', default: null },
        { name: 'start_time', default: null },
        { name: 'end_time', default: null },
        { name: 'display_progress', default: false },
      ],
      doc: doc('List all detectable jobs and associated functions'),
    },
    plan: (rt, a) => ({ value: rt.jobs.listJobs(a.search_metadata), simSeconds: 0 }),
  },
  'jobs.list_job': {
    sig: { name: 'list_job', params: [{ name: 'jid', required: true }, { name: 'ext_source', default: null }, { name: 'display_progress', default: false }], doc: doc('List a specific job given by its jid') },
    plan: (rt, a) => ({ value: rt.jobs.listJob(String(a.jid)), simSeconds: 0 }),
  },
  'jobs.lookup_jid': {
    sig: { name: 'lookup_jid', params: [{ name: 'jid', required: true }, { name: 'ext_source', default: null }, { name: 'returned', default: true }, { name: 'missing', default: false }, { name: 'display_progress', default: false }], doc: doc('Return the printout from a previously executed job') },
    plan: (rt, a) => {
      // Flat `{id: return}`, no retcodes; `missing: true` names the targeted minions that have not
      // returned, dead or still running alike (captures 84, 91, 100, 101).
      const job = rt.jobs.get(String(a.jid));
      if (!job) return { value: new Map(), simSeconds: 0 };
      const value = new Map([...rt.jobs.returned(job)].map(([id, r]) => [id, r.return as unknown]));
      if (a.missing) for (const id of job.minions) if (!value.has(id)) value.set(id, 'Minion did not return');
      return { value, simSeconds: 0 };
    },
  },
};
