import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import type { ServerConfig } from './config.js';

/** Thrown when a TLS file cannot be read: a configuration problem (exit 2). */
export class TlsConfigError extends Error {
  readonly code = 'ACT2_TLS_CONFIG';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TlsConfigError';
  }
}

function read(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsConfigError(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

/**
 * HTTPS options from `--tls-cert/--tls-key`, or undefined for plain HTTP. With `--tls-client-ca`
 * every connection must present a certificate that CA signed (PuppetDB's model): the handshake
 * fails otherwise, before any request is read.
 */
export function readTlsOptions(config: Pick<ServerConfig, 'tlsCert' | 'tlsKey' | 'tlsClientCa'>): ServerOptions | undefined {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  const options: ServerOptions = { cert: read('--tls-cert', config.tlsCert), key: read('--tls-key', config.tlsKey), minVersion: 'TLSv1.2' };
  if (config.tlsClientCa !== undefined) {
    options.ca = read('--tls-client-ca', config.tlsClientCa);
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return options;
}
