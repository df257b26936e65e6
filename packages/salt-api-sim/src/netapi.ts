/**
 * `NetapiClient.run(low)` for one lowstate chunk, in salt 3006's order of checks: master socket, client
 * name, `netapi_enable_clients`, credentials present; then the client. Returns the elements this chunk
 * adds to `return` (one, except local_batch).
 */
import { bindCall, invalidArgumentsText, PyTypeError, runnerCallArgs } from './call-args.js';
import { HttpError, MESSAGES, SaltUnexpectedError, authFailure } from './errors.js';
import { runLocal, runLocalAsync } from './local-client.js';
import { authenticate, type Principal } from './master-auth.js';
import { specCheck } from './perms.js';
import { pyStr } from './py-str.js';
import { RUNNERS } from './runners.js';
import type { SimRuntime } from './runtime.js';
import { LOCAL_ASYNC_PUBLISH_TIMEOUT_S, LOCAL_PUBLISH_TIMEOUT_S, MASTER_HANG_S, REST_TIMEOUT_S, callerOf, timeoutSeconds } from './runtime.js';
import { ALL_CLIENTS } from './types.js';
import { WHEEL_FUNCTIONS } from './wheel.js';
import { stampOf } from './jobs.js';

type Low = Record<string, unknown>;

async function masterCall(rt: SimRuntime, low: Low, form: 'runner' | 'wheel', signal: AbortSignal): Promise<Principal> {
  if (rt.masterDown() === 'hang') {
    await rt.sleep(MASTER_HANG_S, signal);
    throw new HttpError(503, MESSAGES.messageTimedOut);
  }
  const principal = await authenticate(rt, callerOf(low), form, signal);
  const fun = String(low.fun);
  if (!fun.includes('.')) throw new HttpError(400, 'A command invocation error occurred: Check syntax.');
  if (!specCheck(principal.perms, fun, form)) throw new HttpError(401, authFailure(principal.kind, principal.user));
  return principal;
}

/** RunnerClient.cmd_sync: the runner's own time against the API wait (top-level `timeout`, 300 s). */
async function runRunner(rt: SimRuntime, low: Low, signal: AbortSignal): Promise<unknown> {
  const fun = String(low.fun);
  const def = RUNNERS[fun];
  // verify_fun runs inside salt-api before anything reaches the master: 500 (capture 41).
  if (!def) throw new SaltUnexpectedError(`'${fun}' is not available.`);
  const principal = await masterCall(rt, low, 'runner', signal);
  rt.jobs.record({ fun: `runner.${fun}`, args: [], target: `${rt.masterId}_master`, tgtType: 'list', user: principal.user, minions: [] });
  const call = runnerCallArgs(low);
  let bound: Record<string, unknown>;
  try {
    bound = bindCall(def.sig, call.args, call.kwargs);
  } catch (err) {
    if (err instanceof PyTypeError) return invalidArgumentsText(err, def.sig);
    throw err;
  }
  const plan = def.plan(rt, bound);
  const wait = low.timeout === undefined || low.timeout === null ? REST_TIMEOUT_S : (timeoutSeconds(low.timeout) ?? 0);
  if (plan.simSeconds + (plan.realMs ?? 0) / 1000 > wait) {
    await rt.sleep(wait, signal);
    throw new HttpError(504);
  }
  await rt.sleep(plan.simSeconds, signal, plan.realMs);
  return plan.value;
}

/** RunnerClient.cmd_async: the job's result is the runner's event wrapper, keyed by `<id>_master` (96, 111). */
function runRunnerAsync(rt: SimRuntime, low: Low, principal: Principal): unknown {
  const fun = String(low.fun);
  const def = RUNNERS[fun];
  const job = rt.jobs.record({ fun: `runner.${fun}`, args: [], target: `${rt.masterId}_master`, tgtType: 'list', user: principal.user, minions: [] });
  if (!def) return { tag: `salt/run/${job.jid}`, jid: job.jid };
  const call = runnerCallArgs(low);
  const funArgs = Object.keys(call.kwargs).length > 0 ? [...call.args, call.kwargs] : call.args;
  let value: unknown;
  let success = true;
  try {
    value = def.plan(rt, bindCall(def.sig, call.args, call.kwargs)).value;
  } catch (err) {
    if (!(err instanceof PyTypeError)) throw err;
    value = invalidArgumentsText(err, def.sig);
    success = false;
  }
  const stamp = stampOf(Math.floor(rt.nowMs() * 1000));
  const wrapper = { fun: `runner.${fun}`, jid: job.jid, user: principal.user, fun_args: funArgs, _stamp: stamp, return: value, success };
  job.results.set(`${rt.masterId}_master`, { return: wrapper });
  return { tag: `salt/run/${job.jid}`, jid: job.jid };
}

async function runWheel(rt: SimRuntime, low: Low, signal: AbortSignal, async: boolean): Promise<unknown> {
  const fun = String(low.fun);
  const impl = WHEEL_FUNCTIONS[fun];
  if (!impl) throw new SaltUnexpectedError(`'${fun}' is not available.`);
  const principal = await masterCall(rt, low, 'wheel', signal);
  const { jid, startUs } = rt.jobs.nextJid();
  const tag = `salt/wheel/${jid}`;
  if (async) return { tag, jid };
  const stamp = stampOf(startUs);
  return { tag, data: { fun: `wheel.${fun}`, jid, tag, user: principal.user, _stamp: stamp, return: impl(rt, low), success: true } };
}

export async function runChunk(rt: SimRuntime, low: Low, signal: AbortSignal): Promise<unknown[]> {
  if (rt.masterDown() === 'no-ipc') throw new HttpError(503, MESSAGES.masterNotAvailable);
  const client = low.client;
  if (typeof client !== 'string' || !(ALL_CLIENTS as readonly string[]).includes(client)) {
    throw new HttpError(400, `Invalid client specified: '${pyStr(client)}'`);
  }
  if (!rt.clientsEnabled().includes(client)) {
    throw new HttpError(400, `Client disabled: '${client}'. Add to 'netapi_enable_clients' master config option to enable.`);
  }
  if (!('token' in low || 'eauth' in low)) throw new HttpError(401, MESSAGES.noCredentials);
  if (low.fun === undefined) throw new SaltUnexpectedError('missing fun');

  switch (client) {
    case 'runner':
      return [await runRunner(rt, low, signal)];
    case 'runner_async': {
      if (!RUNNERS[String(low.fun)]) throw new SaltUnexpectedError('unknown runner');
      const principal = await masterCall(rt, low, 'runner', signal);
      return [runRunnerAsync(rt, low, principal)];
    }
    case 'wheel':
    case 'wheel_async':
      return [await runWheel(rt, low, signal, client === 'wheel_async')];
    case 'ssh':
      // No roster in the simulator: salt-ssh matches nothing.
      await authenticate(rt, callerOf(low), 'local', signal);
      return [{}];
    default:
      break;
  }
  if (rt.masterDown() === 'hang') {
    // The publish never reaches the master; LocalClient gives up with a plain exception: 5 s for a
    // sync call (73, 99), 15 s for local_async (99, 131).
    await rt.sleep(client === 'local_async' ? LOCAL_ASYNC_PUBLISH_TIMEOUT_S : LOCAL_PUBLISH_TIMEOUT_S, signal);
    throw new SaltUnexpectedError('publish timed out');
  }
  const principal = await authenticate(rt, callerOf(low), 'local', signal);
  if (client === 'local_async') {
    const answer = runLocalAsync(rt, low, principal);
    await rt.sleep(0, signal, rt.dispatchReplyDelayMs());
    return [answer];
  }
  return runLocal(rt, low, principal, signal, client as 'local' | 'local_batch' | 'local_subset');
}
