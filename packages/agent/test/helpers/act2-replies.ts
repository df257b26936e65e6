import { saltJson } from './captures.js';
import type { CapturedAnswer } from './captures.js';

/** A RegisterResponse as act2-server sends it after a first registration. */
export const REGISTER_RESPONSE = {
  master: { sn: 'SN-1', status: 'running', recovered: false, created: true },
  minions: { total: 1, joined: 1, left: 0, changed: 0 },
} as const;

/** act2-server's 200 to POST /register (the agent refuses a 2xx that is not one). */
export function registered(status = 200): CapturedAnswer {
  return saltJson(REGISTER_RESPONSE, status);
}
