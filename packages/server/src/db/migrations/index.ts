import type { Migration } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-auth.js';
import * as m0003 from './0003-jobs.js';
import * as m0004 from './0004-operator.js';
import * as m0005 from './0005-master-key-idc.js';
import * as m0006 from './0006-minion-digest.js';
import * as m0007 from './0007-job-dispatches.js';
import * as m0008 from './0008-job-targets-fillfactor.js';
import * as m0009 from './0009-job-target-chunks.js';
import * as m0010 from './0010-job-target-chunk-patch.js';

/** Every migration, in order. Listed by hand: bundles cannot scan folders, and order must be explicit. */
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-auth': m0002,
  '0003-jobs': m0003,
  '0004-operator': m0004,
  '0005-master-key-idc': m0005,
  '0006-minion-digest': m0006,
  '0007-job-dispatches': m0007,
  '0008-job-targets-fillfactor': m0008,
  '0009-job-target-chunks': m0009,
  '0010-job-target-chunk-patch': m0010,
};
