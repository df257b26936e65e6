/** The agent's version, printed by `--version` and sent as `agent.version`; kept equal to package.json by a test. */
export const VERSION = '0.1.0';

/** Sent to both salt-api and act2-server so their access logs show who called. */
export const USER_AGENT = `act2-heartbeat/${VERSION}`;
