declare const __ACT2_VERSION__: string | undefined;
/** Injected by the bundler; `dev` when running from sources. */
export const VERSION = typeof __ACT2_VERSION__ === 'string' ? __ACT2_VERSION__ : 'dev';
