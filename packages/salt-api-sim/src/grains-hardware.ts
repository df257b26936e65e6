/**
 * DMI and OS grain variants seen across real fleets: the serialnumber forms the agent has to cope with
 * (vendor serial, "", "None", VMware-style, absent), uuid derived the way each platform derives it.
 */
import type { Rng } from './prng.js';
import type { Grains } from './types.js';

export type Platform = 'vmware' | 'kvm' | 'cloud' | 'physical' | 'container';

export interface HardwareProfile {
  platform: Platform;
  /** The DMI grains in salt's order; empty for containers (no /sys/class/dmi, like the captures). */
  dmi: Grains;
  virtual: string;
}

const VENDORS = [
  { manufacturer: 'Dell Inc.', products: ['PowerEdge R740', 'PowerEdge R650', 'PowerEdge R640'], serial: (r: Rng) => serialOf(r, 7) },
  { manufacturer: 'HPE', products: ['ProLiant DL380 Gen10', 'ProLiant DL360 Gen10 Plus'], serial: (r: Rng) => `CZ${serialOf(r, 8)}` },
  { manufacturer: 'Lenovo', products: ['ThinkSystem SR650', 'ThinkSystem SR630 V2'], serial: (r: Rng) => `J30${serialOf(r, 5)}` },
  { manufacturer: 'Inspur', products: ['NF5280M5', 'NF5270M6'], serial: (r: Rng) => String(r.int(100_000_000, 999_999_999)) },
  { manufacturer: 'Huawei', products: ['2288H V5', '1288H V5'], serial: (r: Rng) => `2102311${serialOf(r, 13)}` },
] as const;

const SERIAL_CHARS = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

function serialOf(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += rng.pick([...SERIAL_CHARS]);
  return out;
}

function uuidOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** VMware: `VMware-42 1f 3a …-… 18`, and product_uuid is the same 16 bytes with the first three fields
 * byte-swapped (SMBIOS stores them little-endian). */
function vmwareIds(rng: Rng): { serial: string; uuid: string } {
  const bytes = Array.from({ length: 16 }, (_, i) => (i === 0 ? 0x42 : rng.int(0, 255)).toString(16).padStart(2, '0'));
  const serial = `VMware-${bytes.slice(0, 8).join(' ')}-${bytes.slice(8).join(' ')}`;
  const swapped = [...bytes.slice(0, 4).reverse(), ...bytes.slice(4, 6).reverse(), ...bytes.slice(6, 8).reverse(), ...bytes.slice(8)];
  return { serial, uuid: uuidOf(swapped.join('')) };
}

function dmi(biosversion: string, manufacturer: string, productname: string, serial: string | undefined, uuid: string): Grains {
  const out: Grains = { biosreleasedate: '04/05/2023', biosversion, manufacturer, productname };
  if (serial !== undefined) out.serialnumber = serial;
  out.uuid = uuid;
  return out;
}

export function hardwareProfile(rng: Rng): HardwareProfile {
  const roll = rng.next();
  if (roll < 0.3) {
    const ids = vmwareIds(rng);
    return { platform: 'vmware', virtual: 'VMware', dmi: dmi('6.00', 'VMware, Inc.', 'VMware Virtual Platform', ids.serial, ids.uuid) };
  }
  if (roll < 0.5) {
    // QEMU leaves product_serial empty unless the operator sets one.
    return { platform: 'kvm', virtual: 'kvm', dmi: dmi('1.16.2-1.el9', 'QEMU', 'Standard PC (Q35 + ICH9, 2009)', '', uuidOf(rng.hex(32))) };
  }
  if (roll < 0.57) {
    // Some cloud images write the literal string "None" into the SMBIOS serial field.
    return { platform: 'cloud', virtual: 'kvm', dmi: dmi('8c24b4c', 'Alibaba Cloud', 'Alibaba Cloud ECS', 'None', uuidOf(rng.hex(32))) };
  }
  if (roll < 0.9) {
    const vendor = rng.pick(VENDORS);
    const serial = rng.chance(0.05) ? undefined : vendor.serial(rng);
    return {
      platform: 'physical',
      virtual: 'physical',
      dmi: dmi(`${rng.int(1, 3)}.${rng.int(0, 19)}.${rng.int(0, 9)}`, vendor.manufacturer, rng.pick(vendor.products), serial, uuidOf(rng.hex(32))),
    };
  }
  return { platform: 'container', virtual: 'container', dmi: {} };
}

interface OsRelease {
  os: string;
  os_family: string;
  oscodename: string;
  osfullname: string;
  osrelease: string;
  kernelrelease: string;
  systemd: string;
}

const OSES: readonly OsRelease[] = [
  { os: 'Rocky', os_family: 'RedHat', oscodename: 'Blue Onyx', osfullname: 'Rocky Linux', osrelease: '9.3', kernelrelease: '5.14.0-362.8.1.el9_3.x86_64', systemd: '252' },
  { os: 'CentOS', os_family: 'RedHat', oscodename: 'Core', osfullname: 'CentOS Linux', osrelease: '7.9.2009', kernelrelease: '3.10.0-1160.el7.x86_64', systemd: '219' },
  { os: 'Ubuntu', os_family: 'Debian', oscodename: 'jammy', osfullname: 'Ubuntu', osrelease: '22.04', kernelrelease: '5.15.0-91-generic', systemd: '249' },
  { os: 'Debian', os_family: 'Debian', oscodename: 'bookworm', osfullname: 'Debian GNU/Linux', osrelease: '12', kernelrelease: '6.1.0-17-amd64', systemd: '252' },
  { os: 'RedHat', os_family: 'RedHat', oscodename: 'Plow', osfullname: 'Red Hat Enterprise Linux', osrelease: '9.2', kernelrelease: '5.14.0-284.11.1.el9_2.x86_64', systemd: '252' },
];

/** The OS part of the grains, in salt's order (os_data in salt/grains/core.py). */
export function osGrains(rng: Rng): { kernel: Grains; release: Grains; tail: Grains } {
  const o = rng.pick(OSES);
  const major = Number(o.osrelease.split('.')[0]);
  const info = o.osrelease.split('.').map(Number);
  return {
    kernel: {
      kernelrelease: o.kernelrelease,
      kernelversion: '#1 SMP PREEMPT_DYNAMIC',
      cpuarch: 'x86_64',
      systemd: { version: o.systemd, features: '+PAM +AUDIT +SELINUX +IMA -APPARMOR +SMACK +SECCOMP +GCRYPT +ACL +XZ +LZ4' },
      init: 'systemd',
    },
    release: {
      os: o.os,
      os_family: o.os_family,
      oscodename: o.oscodename,
      osfullname: o.osfullname,
      lsb_distrib_id: o.osfullname,
      lsb_distrib_release: o.osrelease,
      lsb_distrib_codename: o.oscodename,
      osrelease: o.osrelease,
      num_cpus: rng.pick([2, 4, 8, 16, 32, 64]),
      cpu_model: rng.pick(['Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz', 'AMD EPYC 7543 32-Core Processor', 'Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz']),
      osarch: o.os_family === 'Debian' ? 'amd64' : 'x86_64',
      mem_total: rng.pick([3789, 7821, 15884, 31958, 64264, 128660]),
      swap_total: rng.pick([0, 2047, 4095, 8191]),
    },
    tail: {
      osrelease_info: info,
      osmajorrelease: major,
      // salt 3006 builds osfinger from `os` (capture: "Debian-12"); Ubuntu keeps its full release.
      osfinger: `${o.os}-${o.os === 'Ubuntu' ? o.osrelease : major}`,
    },
  };
}
