/** @act2/agent: run act2-heartbeat in-process (end-to-end tests, demo) or through its CLI bundle. */
export { runHeartbeat } from './heartbeat.js';
export type { HeartbeatDeps, HeartbeatResult } from './heartbeat.js';
export { parseAgentConfig } from './config.js';
export type { AgentConfig, ConfigDeps, CoreConfig, ParseResult, TlsConfig } from './config.js';
export type { GrainsSource } from './collectors/salt/config.js';
export { runCli } from './main.js';
export type { CliIo } from './main.js';
export { AgentError, EXIT_CODES } from './errors.js';
export type { AgentErrorCode, ExitCode } from './errors.js';
export { createLogger, openLogDestination } from './log.js';
export type { LogLevelName } from './log.js';
export { COLLECTORS } from './collectors/registry.js';
export type { CollectContext, CollectedMinion, CollectResult, Collector, CollectorConfigInput, ConfiguredCollector } from './collectors/collector.js';
export { VERSION } from './version.js';
