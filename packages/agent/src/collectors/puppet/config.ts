import { Option } from 'commander';
import { isLoopbackUrl } from '../../config-values.js';
import type { TlsConfig } from '../../core-config.js';
import type { CollectorConfigInput } from '../collector.js';

/** The puppet collector's settings: where PuppetDB is and how nodes are judged. */
export interface PuppetSettings {
  /** PuppetDB base URL (plain HTTP on localhost:8080, or HTTPS on :8081 with the host's Puppet certificate). */
  url: string;
  tls: TlsConfig;
  /** A node whose last report and facts are both older than this is `stopped`. */
  staleMs: number;
  /** Dotted fact path (`dmi.product.serial_number`) used as minion sn instead of the certname. */
  snFact?: string;
  /** Node or fact rows per PuppetDB request (limit/offset paging bounds the agent's memory). */
  pageSize: number;
}

/** Rows per request: 1,000 nodes, or the three facts of about 333 (measured: larger pages raise the peak RSS, see BENCHMARKS.md). */
export const DEFAULT_PAGE_SIZE = 1000;

export function puppetOptions(): Option[] {
  return [
    new Option('--puppetdb-url <url>', 'PuppetDB URL: http://localhost:8080, or https://<this host>:8081 with the three files below').default('http://localhost:8080').env('ACT2_PUPPETDB_URL'),
    new Option('--puppetdb-cert <path>', "client certificate (PEM) for PuppetDB's HTTPS port: this host's Puppet certificate").env('ACT2_PUPPETDB_CERT'),
    new Option('--puppetdb-key <path>', "that certificate's private key (PEM)").env('ACT2_PUPPETDB_KEY'),
    new Option('--puppetdb-ca <path>', "Puppet's CA certificate (PEM), which signed PuppetDB's certificate").env('ACT2_PUPPETDB_CA'),
    new Option('--puppet-stale <duration>', 'a node is running when active and its last report or facts are newer than this (two default run intervals)').default('1h').env('ACT2_PUPPET_STALE'),
    new Option('--puppet-sn-fact <path>', 'fact (dotted path, e.g. dmi.product.serial_number) used as minion sn (falls back to the certname)').env('ACT2_PUPPET_SN_FACT'),
  ];
}

export function parsePuppetSettings({ raw, v, readFile, core }: CollectorConfigInput): { settings: PuppetSettings; warnings: string[] } {
  const warnings: string[] = [];
  const url = v.url('puppetdbUrl', '--puppetdb-url', 'PuppetDB takes a client certificate (--puppetdb-cert/--puppetdb-key)') ?? '';
  const cert = v.file('puppetdbCert', '--puppetdb-cert', readFile);
  const key = v.file('puppetdbKey', '--puppetdb-key', readFile);
  const ca = v.file('puppetdbCa', '--puppetdb-ca', readFile);
  if ((raw.puppetdbCert === undefined) !== (raw.puppetdbKey === undefined)) v.errors.push('--puppetdb-cert and --puppetdb-key go together: give both or neither');
  if (url.startsWith('http:') && (raw.puppetdbCert !== undefined || raw.puppetdbCa !== undefined)) {
    warnings.push(`--puppetdb-url ${url} is plain HTTP: the certificate files are not used (PuppetDB's HTTPS port is usually 8081)`);
  }
  const snFact = v.text('puppetSnFact', '--puppet-sn-fact');
  if (snFact !== undefined && !/^[^.\s]+(\.[^.\s]+)*$/.test(snFact)) v.errors.push('--puppet-sn-fact: a fact name or dotted path without spaces, e.g. dmi.product.serial_number');
  const settings: PuppetSettings = {
    url,
    tls: { insecure: false, ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) },
    staleMs: v.duration('puppetStale', '--puppet-stale', 1000),
    pageSize: DEFAULT_PAGE_SIZE,
    ...(snFact === undefined ? {} : { snFact }),
  };
  if (core.advertiseServer === undefined && url !== '' && isLoopbackUrl(url)) {
    warnings.push(`master.server would be ${url}, a loopback address act2 cannot reach: set --advertise-server to the PuppetDB (or Puppet server) URL act2 should use`);
  }
  return { settings, warnings };
}
