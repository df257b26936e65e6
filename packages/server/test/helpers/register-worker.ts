import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Builds the package (tsup, into node_modules/.cache so the bundle's npm imports resolve) for its
 * registration worker: from sources the app has none (register/offload.ts), so a test that wants
 * huge registrations parsed off the main thread, as the built server does, passes this one.
 */
export function buildRegisterWorker(): { url: URL; remove: () => void } {
  mkdirSync(join(PACKAGE_DIR, 'node_modules', '.cache'), { recursive: true });
  const dir = mkdtempSync(join(PACKAGE_DIR, 'node_modules', '.cache', 'act2-register-worker-'));
  execFileSync('npx', ['tsup', '--out-dir', dir, '--silent'], { cwd: PACKAGE_DIR, stdio: 'pipe' });
  return { url: pathToFileURL(join(dir, 'register-worker.js')), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
