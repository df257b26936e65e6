import type { ServerType } from '@act2/shared';
import type { Collector } from './collector.js';
import { saltCollector } from './salt/index.js';

/**
 * The one place collectors are registered (no folder scanning: the bundle has no folders).
 * registry.test.ts fails when a collector folder is missing here. `puppet` and `openssh` are
 * valid --srv-type values without a collector yet: the run says so instead of guessing.
 */
export const COLLECTORS: Partial<Record<ServerType, Collector>> = {
  salt: saltCollector,
};

