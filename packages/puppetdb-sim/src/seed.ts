/**
 * The nodes the captures were made with, as PuppetDB commands: the same list seeds the real
 * PuppetDB (capture script, end-to-end test) and, through the captured answers, the simulator.
 */
export interface SeedNode {
  certname: string;
  /** Facter 4 style facts. */
  facts: Record<string, unknown>;
  /** Seconds before now of the last report's end, or none. */
  reportAgeS?: number;
  deactivate?: boolean;
}

/** Facter 4's `networking` fact for a host with these interfaces (IPv4 address per interface, optional IPv6). */
export function networkingFact(hostname: string, interfaces: Record<string, { ip: string; ip6?: string }>): Record<string, unknown> {
  const entries = Object.entries(interfaces).map(([name, { ip, ip6 }]) => {
    const network = ip.replace(/\.\d+$/, '.0');
    const iface: Record<string, unknown> = {
      bindings: [{ address: ip, netmask: name === 'lo' ? '255.0.0.0' : '255.255.255.0', network: name === 'lo' ? '127.0.0.0' : network }],
      ip,
      mac: name === 'lo' ? undefined : '52:54:00:12:34:56',
      mtu: name === 'lo' ? 65536 : 1500,
      netmask: '255.255.255.0',
      network,
    };
    if (ip6) {
      iface.bindings6 = [
        { address: ip6, netmask: 'ffff:ffff:ffff:ffff::', network: ip6.replace(/::[0-9a-f]+$/, '::'), scope6: ip6 === '::1' ? 'host' : 'global' },
        ...(name === 'lo' ? [] : [{ address: 'fe80::5054:ff:fe12:3456', netmask: 'ffff:ffff:ffff:ffff::', network: 'fe80::', scope6: 'link' }]),
      ];
      iface.ip6 = ip6;
    }
    if (iface.mac === undefined) delete iface.mac;
    return [name, iface] as const;
  });
  const primary = entries.find(([name]) => name !== 'lo') ?? entries[0];
  const primaryIp = primary ? (primary[1].ip as string) : '127.0.0.1';
  return { domain: 'example.com', fqdn: `${hostname}.example.com`, hostname, interfaces: Object.fromEntries(entries), ip: primaryIp, primary: primary?.[0] ?? 'lo' };
}

export function standardFacts(hostname: string, interfaces: Record<string, { ip: string; ip6?: string }>, serial: string): Record<string, unknown> {
  return {
    networking: networkingFact(hostname, interfaces),
    os: { name: 'Debian', family: 'Debian', release: { full: '12.8', major: '12', minor: '8' } },
    dmi: { product: { name: 'KVM', serial_number: serial, uuid: `4c4c4544-0000-1000-8000-${serial.replace(/\D/g, '').padStart(12, '0').slice(-12)}` } },
    kernel: 'Linux',
    puppetversion: '7.23.0',
  };
}

/** The capture set: fresh, stale-reported, facts-only, deactivated, and an old Facter without `networking`. */
export const SEED_NODES: SeedNode[] = [
  { certname: 'web-01.example.com', facts: standardFacts('web-01', { lo: { ip: '127.0.0.1', ip6: '::1' }, eth0: { ip: '10.0.0.11', ip6: '2001:db8::11' }, docker0: { ip: '172.17.0.1' } }, 'SER-0001'), reportAgeS: 60 },
  { certname: 'web-02.example.com', facts: standardFacts('web-02', { lo: { ip: '127.0.0.1' }, eth0: { ip: '10.0.0.12' } }, 'SER-0002'), reportAgeS: 7200 },
  { certname: 'db-01.example.com', facts: standardFacts('db-01', { lo: { ip: '127.0.0.1' }, eth0: { ip: '10.0.1.21' }, eth1: { ip: '192.168.10.21' } }, 'Not Specified') },
  { certname: 'old-01.example.com', facts: standardFacts('old-01', { eth0: { ip: '10.0.9.9' } }, 'SER-0009'), reportAgeS: 600, deactivate: true },
  { certname: 'legacy-01.example.com', facts: { ipaddress: '10.0.5.5', operatingsystem: 'CentOS', kernel: 'Linux' } },
];

const iso = (ms: number) => new Date(ms).toISOString();

/** `replace_facts` v5. */
export function factsCommand(node: SeedNode, nowMs: number) {
  return { certname: node.certname, environment: 'production', producer_timestamp: iso(nowMs), producer: 'puppet.example.com', values: node.facts };
}

/** A minimal `store_report` v8 whose end_time is `reportAgeS` ago. */
export function reportCommand(node: SeedNode, nowMs: number, uuid: () => string) {
  const end = nowMs - (node.reportAgeS ?? 0) * 1000;
  return {
    certname: node.certname,
    environment: 'production',
    puppet_version: '7.23.0',
    report_format: 10,
    configuration_version: '1700000000',
    start_time: iso(end - 20_000),
    end_time: iso(end),
    producer_timestamp: iso(end),
    producer: 'puppet.example.com',
    transaction_uuid: uuid(),
    catalog_uuid: uuid(),
    code_id: null,
    job_id: null,
    cached_catalog_status: 'not_used',
    status: 'unchanged',
    noop: false,
    noop_pending: false,
    corrective_change: false,
    type: 'agent',
    logs: [],
    metrics: [],
    resources: [],
  };
}

/** `deactivate_node` v3. */
export function deactivateCommand(certname: string, nowMs: number) {
  return { certname, producer_timestamp: iso(nowMs) };
}
