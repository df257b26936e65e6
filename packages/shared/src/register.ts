import { z } from 'zod';
import { MinionStatus, ReportedMasterStatus, ServerType } from './enums.js';
import { freeText, singleLineText } from './text.js';
import { serviceUrl } from './url.js';

/** Longest sn (master or minion) the contract takes. */
export const MAX_SN_LENGTH = 255;
/**
 * A master's or minion's sn, wherever the contract names one (registration, reads, jobs). Trimmed:
 * the original heartbeat.py sent /sys/class/dmi/id/product_uuid with its trailing newline. No
 * control characters (see text.ts).
 */
export const Sn = singleLineText(MAX_SN_LENGTH).min(1);

/** A minion's limits in the contract, for code that checks minions without zod (the server's hot path). */
export const MINION_LIMITS = { text: 255, saltversion: 64, ips: 1024 } as const;

/** An IP address as reported for a minion (IPv4 or IPv6, no prefix length). */
export const IpAddress = z.union([z.ipv4(), z.ipv6()]);

/** Credentials act2 uses later to call this master's salt-api. */
export const MasterOptions = z.object({
  username: singleLineText(1024, { trim: false }),
  password: freeText(4096),
});
export type MasterOptions = z.infer<typeof MasterOptions>;

export const RegisterMaster = z.object({
  sn: Sn,
  /** The salt-api URL act2 should use for this master: http(s), without credentials. */
  server: serviceUrl(2048),
  status: ReportedMasterStatus,
  idc: singleLineText(255),
  type: ServerType,
  options: MasterOptions.optional(),
  /** Extension: why collection failed when `status` is `stopped`. */
  error: freeText(4096).optional(),
});
export type RegisterMaster = z.infer<typeof RegisterMaster>;

export const RegisterMinion = z.object({
  /** The minion id (the original script's choice), or a serial grain when the agent is told so. */
  sn: Sn,
  status: MinionStatus,
  /** Missing in the original script's payload for minions that did not answer. */
  ips: z.array(IpAddress).max(MINION_LIMITS.ips).default([]),
  /** Extensions: what else the agent knows of the minion. */
  id: singleLineText(MINION_LIMITS.text, { trim: false }).optional(),
  serial: freeText(MINION_LIMITS.text).optional(),
  uuid: freeText(MINION_LIMITS.text).optional(),
  os: freeText(MINION_LIMITS.text).optional(),
  saltversion: freeText(MINION_LIMITS.saltversion).optional(),
});
export type RegisterMinion = z.infer<typeof RegisterMinion>;
export type RegisterMinionInput = z.input<typeof RegisterMinion>;

export const AgentInfo = z.object({
  version: singleLineText(64, { trim: false }),
  hostname: singleLineText(255, { trim: false }).optional(),
});
export type AgentInfo = z.infer<typeof AgentInfo>;

/**
 * `POST /register`: seed 000's shape plus optional extensions. Unknown fields are
 * stripped, not rejected, so a newer agent can talk to an older server.
 */
export const RegisterRequest = z.object({
  master: RegisterMaster,
  minions: z.array(RegisterMinion),
  schema_version: z.number().int().positive().max(1_000_000).optional(),
  agent: AgentInfo.optional(),
  /** The sender's heartbeat period in seconds (stored in a 32-bit integer column). */
  interval_s: z.number().int().positive().max(2_147_483_647).optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;
/** What a sender builds (before defaults such as `ips: []` are applied). */
export type RegisterRequestInput = z.input<typeof RegisterRequest>;

/** The current contract version an agent of this code base sends. */
export const SCHEMA_VERSION = 1;

export const RegisterResponse = z.object({
  master: z.object({
    sn: z.string(),
    /** The status this registration reported (a registration never leaves a master `timeout`). */
    status: ReportedMasterStatus,
    /** The master was timed out (or stopped) before this registration. */
    recovered: z.boolean(),
    /** This registration created the master. */
    created: z.boolean(),
  }),
  minions: z.object({
    /**
     * Minions the master has once this registration is stored: the snapshot of a `running` one; for
     * a `stopped` one the set it keeps (none for a master seen for the first time, whatever it listed).
     */
    total: z.number().int(),
    joined: z.number().int(),
    left: z.number().int(),
    /** Minions whose status or IPs changed. */
    changed: z.number().int(),
  }),
  /**
   * The master's own key, present once: in the answer to the registration that enrolled the sn
   * with a `register` token. The agent stores it and sends it (Bearer) from then on.
   */
  master_key: z.string().optional(),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;
