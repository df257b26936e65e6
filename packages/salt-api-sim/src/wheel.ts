/** The wheel functions behind /keys: key.list_all, key.list_accepted / key.list, key.finger. */
import { createHash } from 'node:crypto';
import type { SimRuntime } from './runtime.js';
import { globMatch } from './targeting.js';

/** `salt-key -f` style sha256 fingerprint of the (simulated) minion key. */
function finger(id: string): string {
  return createHash('sha256').update(`minion-key:${id}`).digest('hex').match(/../g)?.join(':') ?? '';
}

export const WHEEL_FUNCTIONS: Record<string, (rt: SimRuntime, low: Record<string, unknown>) => unknown> = {
  'key.list_all': (rt) => ({
    minions: rt.fleet.all().map((m) => m.id).sort(),
    minions_pre: [],
    minions_rejected: [],
    minions_denied: [],
    local: ['master.pem', 'master.pub'],
  }),
  'key.list': (rt, low) => (low.match === 'pre' || low.match === 'unaccepted' ? { minions_pre: [] } : { minions: rt.fleet.all().map((m) => m.id).sort() }),
  'key.finger': (rt, low) => {
    const pattern = String(low.match ?? '*');
    const ids = rt.fleet.all().map((m) => m.id).filter((id) => globMatch(id, pattern)).sort();
    return { minions: Object.fromEntries(ids.map((id) => [id, finger(id)])) };
  },
};
