import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { mapBounded, probeSsh } from './probe.js';

describe('probeSsh', () => {
  it('accepts an identification line after other lines (RFC 4253 4.2), split over several packets', async () => {
    const server = createServer((socket) => {
      socket.write('Welcome to the bastion\r\n');
      setTimeout(() => socket.write('SSH-2.0-Open'), 20);
      setTimeout(() => socket.write('SSH_9.2p1 Debian-2\r\n'), 40);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await probeSsh('127.0.0.1', port, { timeoutMs: 2000 })).toEqual({ up: true, ips: ['127.0.0.1'], banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2' });
    } finally {
      server.close();
    }
  });

  it('reports resolved addresses without loopback, and a name that does not resolve', async () => {
    const resolved = await probeSsh('proxy-target.example', 9, { timeoutMs: 500, resolve: async () => ['127.0.0.1', '10.1.2.3', 'fe80::1', '2001:db8::7'] });
    expect(resolved).toMatchObject({ up: false, ips: ['10.1.2.3', '2001:db8::7'], reason: 'connection refused' });
    const missing = await probeSsh('nothing.example', 22, { timeoutMs: 500, resolve: async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })) });
    expect(missing).toEqual({ up: false, ips: [], reason: 'host name not found' });
  });
});

describe('mapBounded', () => {
  it('never runs more than the bound at once and keeps the input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([...Array(50).keys()], 7, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, (n * 7) % 11));
      running -= 1;
      return n * 2;
    });
    expect(peak).toBe(7);
    expect(out).toEqual([...Array(50).keys()].map((n) => n * 2));
  });
});
