'use strict';
// What the act2-heartbeat bundle takes from undici: `request` and `Agent` (plus the Dispatcher
// class and the error types). tsup.config.ts points the bundle's `undici` here instead of undici's
// index.js, which also loads fetch, WebSocket, EventSource, the cache API, cookies, the mock agents
// and every interceptor at start-up: about 20 ms of CPU on each cron run for code the agent never
// calls. The library entry (dist/index.mjs) and the tests use undici itself.
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const Agent = require('undici/lib/dispatcher/agent');
const api = require('undici/lib/api');
const errors = require('undici/lib/core/errors');
const util = require('undici/lib/core/util');
const { getGlobalDispatcher } = require('undici/lib/global');

// As undici's index.js does: dispatcher.request() and the other API methods.
Object.assign(Dispatcher.prototype, api);

/** undici's top-level `request(url, options)` (index.js makeDispatcher) for a URL string or URL. */
function request(url, opts) {
  if (!url || (typeof url !== 'string' && !(url instanceof URL))) throw new errors.InvalidArgumentError('invalid url');
  if (opts !== null && opts !== undefined && typeof opts !== 'object') throw new errors.InvalidArgumentError('invalid opts');
  const options = opts ?? {};
  let target;
  if (options.path !== null && options.path !== undefined) {
    if (typeof options.path !== 'string') throw new errors.InvalidArgumentError('invalid opts.path');
    target = new URL(util.parseOrigin(url).origin + (options.path.startsWith('/') ? options.path : `/${options.path}`));
  } else {
    target = util.parseURL(url);
  }
  const { agent, dispatcher = getGlobalDispatcher() } = options;
  if (agent) throw new errors.InvalidArgumentError('unsupported opts.agent. Did you mean opts.client?');
  return api.request.call(dispatcher, {
    ...options,
    origin: target.origin,
    path: target.search ? `${target.pathname}${target.search}` : target.pathname,
    method: options.method || (options.body ? 'PUT' : 'GET'),
  });
}

module.exports = { Agent, Dispatcher, errors, request };
