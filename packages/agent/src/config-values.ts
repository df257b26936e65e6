import type { Option } from 'commander';
import { parseDuration } from '@act2/shared';

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** Boolean environment values, as cron files and systemd units write them. */
export function parseBool(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  return FALSE.has(v) ? false : undefined;
}

/** Option values as commander left them (strings, booleans, undefined). */
export type Raw = Record<string, unknown>;

export function str(raw: Raw, key: string): string | undefined {
  const value = raw[key];
  return typeof value === 'string' ? value : undefined;
}

/** A Validator collects errors instead of throwing, so one run reports them all. */
export class Validator {
  constructor(
    private readonly raw: Raw,
    readonly errors: string[],
  ) {}

  duration(key: string, flag: string, min: number): number {
    const text = str(this.raw, key) ?? '';
    const ms = parseDuration(text);
    if (ms === undefined) this.errors.push(`${flag}: "${text}" is not a duration (use 90s, 2m, 1h30m or plain seconds)`);
    else if (ms < min) this.errors.push(`${flag}: must be at least ${min}ms, got "${text}"`);
    return ms ?? 0;
  }

  /** An http(s) URL without credentials; `credentialsHint` says where credentials go instead. */
  url(key: string, flag: string, credentialsHint = 'put credentials in --salt-user/--salt-password'): string | undefined {
    const text = str(this.raw, key)?.trim();
    if (text === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      this.errors.push(`${flag}: "${text}" is not a URL (e.g. http://localhost:8001)`);
      return undefined;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.errors.push(`${flag}: "${text}" must start with http:// or https://`);
      return undefined;
    }
    // The URL is logged ('config loaded') and --salt-server/--advertise-server is sent as
    // master.server: a password in it would leak twice. The message does not repeat the URL.
    if (url.username !== '' || url.password !== '') {
      this.errors.push(`${flag}: must not hold a user or password (they would be logged and sent to act2-server): ${credentialsHint}`);
      return undefined;
    }
    return text.replace(/\/+$/, '');
  }

  choice<T extends string>(key: string, flag: string, values: readonly T[]): T {
    const value = str(this.raw, key) ?? '';
    if ((values as readonly string[]).includes(value)) return value as T;
    this.errors.push(`${flag}: "${value}" is not one of ${values.join(', ')}`);
    return values[0] as T;
  }

  text(key: string, flag: string, max = 255): string | undefined {
    const value = str(this.raw, key)?.trim();
    if (value === undefined) return undefined;
    if (value.length === 0) this.errors.push(`${flag}: must not be empty`);
    else if (value.length > max) this.errors.push(`${flag}: longer than ${max} characters`);
    return value;
  }

  file(key: string, flag: string, readFile: (path: string) => string): string | undefined {
    const path = str(this.raw, key);
    if (path === undefined) return undefined;
    try {
      return readFile(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.errors.push(`${flag}: cannot read "${path}" (${reason})`);
      return undefined;
    }
  }
}


/** Whether a URL names this host only (localhost, 127.0.0.0/8, ::1): nobody else can reach it. */
export function isLoopbackUrl(text: string): boolean {
  const host = new URL(text).hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Commander's `.choices()` throws on the first bad value; validation happens in config.ts
 * instead so that every error is reported at once. This keeps the choices in `--help` only.
 */
export function withChoices(option: Option, values: readonly string[]): Option {
  return option.choices(values).argParser((value: string) => value);
}
