import type { Migration } from 'kysely';
import * as m0001 from './0001-initial.js';

/** Every migration, in order. Listed by hand: bundles cannot scan folders, and order must be explicit. */
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
};
