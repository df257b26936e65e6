import { z } from 'zod';

// PuppetDB's answers, parsed permissively: only the fields read, anything else ignored.
const Timestamp = z.string().nullish().catch(null);

/** One entry of `/pdb/query/v4/nodes` (with `node_state = any`, deactivated and expired nodes too). */
export const PdbNode = z.object({
  certname: z.string(),
  deactivated: Timestamp,
  expired: Timestamp,
  facts_timestamp: Timestamp,
  report_timestamp: Timestamp,
});
export type PdbNode = z.infer<typeof PdbNode>;
export const PdbNodes = z.array(z.unknown());

/** One row of the `extract [certname, name, value]` facts query. */
export const PdbFact = z.object({ certname: z.string(), name: z.string(), value: z.unknown() });
export type PdbFact = z.infer<typeof PdbFact>;
export const PdbFacts = z.array(z.unknown());

const Binding = z.object({ address: z.unknown() }).passthrough();
const Bindings = z.array(z.unknown()).catch([]);

/** Facter 3+/4 `networking` fact: every interface with its IPv4 and IPv6 bindings. */
export const NetworkingFact = z.object({
  ip: z.unknown().optional(),
  ip6: z.unknown().optional(),
  interfaces: z
    .record(z.string(), z.object({ bindings: Bindings.optional(), bindings6: Bindings.optional(), ip: z.unknown().optional() }).catch({}))
    .optional()
    .catch(undefined),
});
export type NetworkingFact = z.infer<typeof NetworkingFact>;
export { Binding };
