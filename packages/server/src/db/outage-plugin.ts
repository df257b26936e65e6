import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { OutageTracker } from './outage.js';
import type { ResultObserver } from './prepared.js';

/**
 * Tells the outage tracker whenever a query came back: the database is reachable. It only looks
 * at results, so hot reads may tell it synchronously (`observeResult`, see db/prepared.ts).
 */
export function outagePlugin(tracker: OutageTracker): KyselyPlugin & ResultObserver {
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      tracker.answered();
      return args.result;
    },
    observeResult(): void {
      tracker.answered();
    },
  };
}
