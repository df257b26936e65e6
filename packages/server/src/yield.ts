/**
 * Lets the event loop run I/O (health checks, other requests) before continuing a long piece of
 * work. A resolved promise is not enough: microtasks run before any I/O callback.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
