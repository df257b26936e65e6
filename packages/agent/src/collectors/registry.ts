import type { ServerType } from '@act2/shared';
import type { Collector } from './collector.js';
import { opensshCollector } from './openssh/index.js';
import { puppetCollector } from './puppet/index.js';
import { saltCollector } from './salt/index.js';

/**
 * The one place collectors are registered (no folder scanning: the bundle has no folders), one
 * for every --srv-type. registry.test.ts fails when a collector folder is missing here.
 */
export const COLLECTORS: Record<ServerType, Collector> = {
  salt: saltCollector,
  puppet: puppetCollector,
  openssh: opensshCollector,
};
