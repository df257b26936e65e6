import { isMeaningfulSerial } from './minion-sn.js';

export const PRODUCT_UUID_PATH = '/sys/class/dmi/id/product_uuid';
export const MACHINE_ID_PATH = '/etc/machine-id';

export type MasterSnSource = 'flag' | 'product_uuid' | 'machine-id' | 'hostname';

export interface MasterSn {
  sn: string;
  source: MasterSnSource;
  /** Why the sources before `source` were not used (for the fallback warning). */
  reasons: string[];
}

export interface MasterSnDeps {
  readFile: (path: string) => Promise<string>;
  hostname: () => string;
}

async function readId(path: string, deps: MasterSnDeps, reasons: string[]): Promise<string | undefined> {
  try {
    const value = (await deps.readFile(path)).trim();
    if (isMeaningfulSerial(value) && value.length <= 255) return value;
    reasons.push(`${path} holds no usable id ("${value.slice(0, 40)}")`);
  } catch (error) {
    reasons.push(`${path} unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return undefined;
}

/**
 * The master's sn: `--master-sn`, else the DMI product_uuid (what heartbeat.py sent, here
 * trimmed), else /etc/machine-id (VMs and containers without DMI), else the hostname.
 */
export async function resolveMasterSn(configured: string | undefined, deps: MasterSnDeps): Promise<MasterSn> {
  if (configured) return { sn: configured, source: 'flag', reasons: [] };
  const reasons: string[] = [];
  const uuid = await readId(PRODUCT_UUID_PATH, deps, reasons);
  if (uuid) return { sn: uuid, source: 'product_uuid', reasons };
  const machineId = await readId(MACHINE_ID_PATH, deps, reasons);
  if (machineId) return { sn: machineId, source: 'machine-id', reasons };
  return { sn: deps.hostname().trim().slice(0, 255) || 'localhost', source: 'hostname', reasons };
}
