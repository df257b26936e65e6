/** @act2/puppetdb-sim: a PuppetDB query API simulator, the capture set it is checked against, and a real-PuppetDB launcher. */
export { startRealPuppetDb, puppetDbInstalled, PUPPETDB_JAR } from './real.js';
export type { RealPuppetDb, RealPuppetDbOptions } from './real.js';
export { SEED_NODES, deactivateCommand, factsCommand, networkingFact, reportCommand, standardFacts } from './seed.js';
export type { SeedNode } from './seed.js';
export { AGENT_FACTS_QUERY, AGENT_NODES_QUERY, CASES, caseQueryString } from './cases.js';
export type { CaptureCase } from './cases.js';
export { createPuppetDbSim, nodeRecord, NODE_FIELDS } from './sim.js';
export type { PuppetDbSim, PuppetDbSimOptions, SimNode } from './sim.js';
export { generateNodes } from './generate.js';
export type { GenerateOptions } from './generate.js';
export { compileQuery, QueryError } from './query.js';
