export * from './enums.js';
export * from './register.js';
export * from './api.js';
export * from './errors.js';
export * from './duration.js';
export * from './defaults.js';
export * from './queries.js';
export * from './text.js';
