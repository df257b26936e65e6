import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type LogCall = (...args: unknown[]) => void;

/**
 * fastify's `childLoggerFactory`: each request's logger (`request.log`, `reply.log`, bound to its
 * reqId) is made only when the request logs something. Most requests never do (a successful read
 * logs at debug, off by default), and a pino child costs about a microsecond and a few objects
 * per request. The first log call makes the real child, with the same bindings and options.
 */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}

class LazyChildLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined;
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  /** The child's level: its own once made, else the one it would be made with. */
  get level(): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  // pino's log methods are overloaded (object and/or message and format arguments): each call is
  // handed over as it came.
  fatal(...args: unknown[]): void {
    const real = this.#real();
    (real.fatal as LogCall).apply(real, args);
  }

  error(...args: unknown[]): void {
    const real = this.#real();
    (real.error as LogCall).apply(real, args);
  }

  warn(...args: unknown[]): void {
    const real = this.#real();
    (real.warn as LogCall).apply(real, args);
  }

  info(...args: unknown[]): void {
    const real = this.#real();
    (real.info as LogCall).apply(real, args);
  }

  debug(...args: unknown[]): void {
    const real = this.#real();
    (real.debug as LogCall).apply(real, args);
  }

  trace(...args: unknown[]): void {
    const real = this.#real();
    (real.trace as LogCall).apply(real, args);
  }

  silent(...args: unknown[]): void {
    const real = this.#real();
    (real.silent as LogCall).apply(real, args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}
