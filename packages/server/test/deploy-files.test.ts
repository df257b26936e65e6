import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEPLOY_NGINX_CONF, renderDeployNginxConf } from './helpers/nginx.js';

const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));
const UNITS = ['systemd/act2-server.service', 'systemd/act2-heartbeat.service', 'systemd/act2-heartbeat.timer'];
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** `key=value` lines of one unit file section (comments and blank lines dropped). */
function directives(file: string): string[] {
  return readFileSync(join(DEPLOY, file), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('['));
}

describe('deploy/ files', () => {
  (has('systemd-analyze') ? it : it.skip)('pass systemd-analyze verify without a single warning', () => {
    const run = spawnSync('systemd-analyze', ['verify', ...UNITS.map((u) => join(DEPLOY, u))], { encoding: 'utf8' });
    // verify exits 0 on unknown keys and only prints them: any output is a mistake in a unit.
    expect({ status: run.status, stderr: run.stderr.trim(), stdout: run.stdout.trim() }).toEqual({ status: 0, stderr: '', stdout: '' });
  });
  if (!has('systemd-analyze')) console.warn('[act2-server tests] systemd-analyze not found: unit verification is SKIPPED');

  it('harden the act2-server unit (own uid, read-only system, state in StateDirectory)', () => {
    const lines = directives('systemd/act2-server.service');
    expect(lines).toEqual(
      expect.arrayContaining(['DynamicUser=yes', 'StateDirectory=act2', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'ProtectHome=yes', 'PrivateTmp=yes']),
    );
    // The SQLite default must live where the unit may write.
    expect(lines).toContain('Environment=ACT2_DB=/var/lib/act2/act2.sqlite');
    // The stop timeout must outlast the server's own --shutdown-timeout default (30 s).
    expect(lines).toContain('TimeoutStopSec=40s');
  });

  (has('logrotate') ? it : it.skip)('have a logrotate file logrotate accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'act2-logrotate-'));
    try {
      const run = spawnSync('logrotate', ['-d', '-s', join(dir, 'state'), join(DEPLOY, 'logrotate/act2-heartbeat')], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stderr).not.toMatch(/error/i);
      expect(run.stderr + run.stdout).toContain('/var/log/act2-heartbeat.log');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ship an nginx file whose body limit matches --body-limit and whose template points still exist', () => {
    const text = readFileSync(DEPLOY_NGINX_CONF, 'utf8');
    const rendered = renderDeployNginxConf(text, { upstreams: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], listen: '127.0.0.1:9', accessLog: '/tmp/x.log' });

    expect(text).toMatch(/client_max_body_size 16m;/);
    // Registrations buffered in memory, not spooled (see the HA test and BENCHMARKS.md, the herd).
    expect(text).toMatch(/client_body_buffer_size 1m;/);
    expect(rendered.match(/^ +server 127\.0\.0\.1:\d max_fails=3 fail_timeout=10s;$/gm)).toHaveLength(3);
    expect(rendered).toContain('listen 127.0.0.1:9;');
    expect(rendered).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
    expect(() => renderDeployNginxConf(text.replace(/listen 80;/, ''), { upstreams: [], listen: 'x', accessLog: 'y' })).toThrow(/listen/);
  });
});
