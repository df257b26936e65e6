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

/** One row of the `extract [certname, name, value]` facts query (checked by hand: one per fact of every node). */
export interface PdbFact {
  certname: string;
  name: string;
  value: unknown;
}
export function isPdbFact(row: unknown): row is PdbFact {
  if (typeof row !== 'object' || row === null) return false;
  const r = row as Record<string, unknown>;
  return typeof r.certname === 'string' && typeof r.name === 'string';
}
