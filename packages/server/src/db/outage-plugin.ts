import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { OutageTracker } from './outage.js';

/** Tells the outage tracker whenever a query came back: the database is reachable. */
export function outagePlugin(tracker: OutageTracker): KyselyPlugin {
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      tracker.answered();
      return args.result;
    },
  };
}
