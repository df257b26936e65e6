export { createSaltClient } from './client.js';
export type { Lowstate, SaltClient, SaltClientLog, SaltClientOptions } from './client.js';
export { errorText, httpError, mayBeDeadSession, networkError } from './errors.js';
export type { CallInfo } from './errors.js';
export { htmlErrorText } from './html.js';
export { SALT_ERROR_CODES, SaltApiError, firstLine } from './salt-api-error.js';
export type { SaltErrorCode } from './salt-api-error.js';
export { LoginResult, SaltReturn } from './schema.js';
