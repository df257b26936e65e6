/**
 * Deterministic fleets: `generateMinions({ count, seed })` gives the same ids and grains for the same
 * seed, and minion N's grains do not depend on `count`, so a 40-minion demo and a 20,000-minion bench
 * share their first minions. Give two simulators the same list to model an HA master pair.
 */
import { SimError } from './errors.js';
import { hardwareProfile, osGrains } from './grains-hardware.js';
import { extraGrains } from './grains-extra.js';
import { networkGrains } from './grains-network.js';
import { createRng, hash32, pickIndices } from './prng.js';
import type { Grains, SimMinion } from './types.js';

export interface GenerateMinionsOptions {
  count: number;
  /** Same seed → same fleet. Default `act2`. */
  seed?: string | number;
  /** Minion ids are `<prefix><zero-padded number>`. Default `minion-`. */
  prefix?: string;
  /** First number. Default 1. */
  startIndex?: number;
  /** DNS domain of the generated hosts. Default `dc1.example.net`. */
  domain?: string;
  /** How many minions are down, chosen deterministically from the seed. */
  down?: number;
  /** These minions are down, on top of the `down` picked ones. */
  downIds?: string[];
  /** `master` grain. Default `salt`. */
  master?: string;
  saltversion?: string;
}

/** Cloned VM images share /etc/machine-id; a few generated minions do too. */
const CLONED_MACHINE_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00';

function padWidth(options: GenerateMinionsOptions): number {
  return Math.max(3, String((options.startIndex ?? 1) + options.count - 1).length);
}

/** One minion's grains, keys in the order salt 3006 emits them (modelled on capture 13). */
export function generateGrains(id: string, index: number, options: GenerateMinionsOptions): Grains {
  const seed = String(options.seed ?? 'act2');
  const rng = createRng(`${seed}:${index}`);
  const hw = hardwareProfile(rng);
  const net = networkGrains(rng, hw.platform, { net: 10 + (hash32(seed) % 200), index });
  const os = osGrains(rng);
  const host = id.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const withDomain = rng.chance(0.85);
  const domain = withDomain ? (options.domain ?? 'dc1.example.net') : '';
  const fqdn = withDomain ? `${host}.${domain}` : host;
  const fqdnRoll = rng.next();
  const fqdnIp4 = fqdnRoll < 0.6 ? [net.primary] : fqdnRoll < 0.8 ? ['127.0.1.1'] : fqdnRoll < 0.9 ? ['127.0.0.1'] : [];
  const machineRoll = rng.next();
  const saltversion = options.saltversion ?? '3006.10';

  const grains: Grains = {
    cwd: '/',
    ip_gw: true,
    ip4_gw: net.gateway,
    ip6_gw: false,
    dns: { nameservers: ['10.255.0.53'], ip4_nameservers: ['10.255.0.53'], ip6_nameservers: [], sortlist: [], domain: '', search: domain ? [domain] : [], options: [] },
    fqdns: [],
  };
  if (machineRoll >= 0.04) grains.machine_id = machineRoll < 0.06 ? CLONED_MACHINE_ID : rng.hex(32);
  Object.assign(grains, {
    master: options.master ?? 'salt',
    server_id: hash32(`server_id:${id}`) & 0x7fffffff,
    localhost: host,
    fqdn,
    host,
    domain,
    hwaddr_interfaces: net.hwaddr,
    id,
    ip4_interfaces: net.ip4,
    ip6_interfaces: net.ip6,
    ipv4: net.ipv4,
    ipv6: net.ipv6,
    fqdn_ip4: fqdnIp4,
    fqdn_ip6: [],
    ip_interfaces: Object.fromEntries(Object.keys(net.ip4).map((nic) => [nic, [...(net.ip4[nic] ?? []), ...(net.ip6[nic] ?? [])]])),
    locale_info: { defaultlanguage: 'en_US', defaultencoding: 'UTF-8', detectedencoding: 'utf-8', timezone: 'Asia/Shanghai' },
    num_gpus: 0,
    gpus: [],
    kernel: 'Linux',
    nodename: host,
    ...os.kernel,
    ...os.release,
    ...hw.dmi,
    virtual: hw.virtual,
    ps: 'ps -efHww',
    ...os.tail,
    path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    pythonexecutable: '/opt/saltstack/salt/bin/python3.10',
    pythonversion: [3, 10, 14, 'final', 0],
    saltpath: '/opt/saltstack/salt/lib/python3.10/site-packages/salt',
    saltversion,
    saltversioninfo: saltversion.split('.').map(Number),
    zmqversion: '4.3.4',
    disks: ['sda'],
    ssds: [],
    shell: '/bin/sh',
    efi: false,
    username: 'root',
    groupname: 'root',
    pid: rng.int(800, 60_000),
    gid: 0,
    uid: 0,
    zfs_support: false,
    ...extraGrains(rng, String(os.kernel.kernelrelease)),
  });
  return grains;
}

/** A deterministic fleet. */
export function generateMinions(options: GenerateMinionsOptions): SimMinion[] {
  const start = options.startIndex ?? 1;
  const width = padWidth(options);
  const prefix = options.prefix ?? 'minion-';
  const ids = Array.from({ length: options.count }, (_, i) => `${prefix}${String(start + i).padStart(width, '0')}`);
  const down = new Set(options.downIds ?? []);
  const known = new Set(ids);
  const unknown = [...down].filter((id) => !known.has(id));
  if (unknown.length > 0) throw new SimError('ACT2_SIM_UNKNOWN_MINION', `downIds not in the fleet: ${unknown.join(', ')}`);
  // `down` more minions besides `downIds`, picked from the others.
  const others = ids.filter((id) => !down.has(id));
  const rng = createRng(`${String(options.seed ?? 'act2')}:down`);
  for (const i of pickIndices(rng, others.length, options.down ?? 0)) down.add(others[i] as string);
  return ids.map((id, i) => ({ id, up: !down.has(id), grains: generateGrains(id, start + i - 1, options) }));
}
