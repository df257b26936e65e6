/** `LowDataAdapter.exec_lowstate`: validates the lowstate and runs its chunks in order. */
import { HttpError, MESSAGES, SaltUnexpectedError } from './errors.js';
import { runChunk } from './netapi.js';
import type { SimRuntime } from './runtime.js';

/** Python's `int(token, 16)` accepts these (sign, 0x, underscores, surrounding whitespace). */
const PY_HEX = /^\s*[+-]?(?:0[xX])?_?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*\s*$/;

export interface ExecOptions {
  /** The session's Salt token, injected into every chunk (POST /, /minions, /jobs, /keys). */
  token?: string;
  /** Forces the client (`local_async` for POST /minions). */
  client?: string;
}

export async function execLowstate(rt: SimRuntime, lowstate: unknown, signal: AbortSignal, options: ExecOptions = {}): Promise<unknown[]> {
  if (!Array.isArray(lowstate)) throw new HttpError(400, MESSAGES.notAList);
  const out: unknown[] = [];
  for (const item of lowstate) {
    // `chunk['token'] = token` on a non-dict is a TypeError inside salt-api: 500.
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new SaltUnexpectedError('chunk is not a dict');
    const chunk = { ...(item as Record<string, unknown>) };
    if (options.token !== undefined) chunk.token = options.token;
    if ('token' in chunk && !(typeof chunk.token === 'string' && PY_HEX.test(chunk.token))) {
      throw new HttpError(401, MESSAGES.invalidToken);
    }
    if (options.client !== undefined) chunk.client = options.client;
    if ('arg' in chunk && !Array.isArray(chunk.arg)) chunk.arg = [chunk.arg];
    out.push(...(await runChunk(rt, chunk, signal)));
  }
  return out;
}
