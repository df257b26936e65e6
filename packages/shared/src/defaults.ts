/** Defaults both sides agree on (seed 000: report every 30 minutes, time out after 2 hours). */
export const DEFAULT_SERVER_PORT = 6868;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30 * 60_000;
export const DEFAULT_MASTER_TIMEOUT_MS = 2 * 3_600_000;
export const DEFAULT_CHECK_INTERVAL_MS = 60_000;
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
export const REGISTER_PATH = '/register';
export const API_PREFIX = '/api/v1';
