import { z } from 'zod';

/** Every salt-api JSON answer: `{"return": [<one result per lowstate chunk>]}`. */
export const SaltReturn = z.object({ return: z.array(z.unknown()).min(1) });
export type SaltReturn = z.infer<typeof SaltReturn>;

/**
 * The check of {@link SaltReturn}, by hand: every call's answer passes it, and a zod parse (with
 * the fast path zod compiles on first use) cost a cold cron-started agent several milliseconds.
 */
export function isSaltReturn(value: unknown): value is SaltReturn {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const list = (value as Record<string, unknown>).return;
  return Array.isArray(list) && list.length >= 1;
}

/** `return[0]` of POST /login. `token` is the CherryPy session id sent back as X-Auth-Token. */
export const LoginResult = z.object({ token: z.string().min(1) });
export type LoginResult = z.infer<typeof LoginResult>;
