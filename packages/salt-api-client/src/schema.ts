import { z } from 'zod';

/** Every salt-api JSON answer: `{"return": [<one result per lowstate chunk>]}`. */
export const SaltReturn = z.object({ return: z.array(z.unknown()).min(1) });
export type SaltReturn = z.infer<typeof SaltReturn>;

/** `return[0]` of POST /login. `token` is the CherryPy session id sent back as X-Auth-Token. */
export const LoginResult = z.object({ token: z.string().min(1) });
export type LoginResult = z.infer<typeof LoginResult>;
