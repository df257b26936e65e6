import { describe, expect, it } from 'vitest';
import { parseRoster } from './roster.js';

describe('parseRoster (salt-ssh roster YAML)', () => {
  it('reads host, port and user; defaults port 22; takes `id: host` and a bare id as salt-ssh does', () => {
    const text = [
      'web1:',
      '  host: 192.168.42.1',
      '  user: fred',
      '  passwd: foobarbaz',
      '  sudo: True',
      'web2:',
      '  host: web2.example.com',
      '  port: 2222',
      '  minion_opts: {log_level: debug}',
      'db1: 10.0.0.5',
      'db2:',
    ].join('\n');
    expect(parseRoster(text, '/etc/salt/roster')).toEqual({
      targets: [
        { id: 'web1', host: '192.168.42.1', port: 22, user: 'fred' },
        { id: 'web2', host: 'web2.example.com', port: 2222 },
        { id: 'db1', host: '10.0.0.5', port: 22 },
        { id: 'db2', host: 'db2', port: 22 },
      ],
      warnings: [],
    });
  });

  it('skips an entry with a bad port or host with a warning, keeping the others', () => {
    const { targets, warnings } = parseRoster('a:\n  host: 10.0.0.1\n  port: 70000\nb:\n  host: [1, 2]\nc:\n  host: 10.0.0.3\n', 'r');
    expect(targets).toEqual([{ id: 'c', host: '10.0.0.3', port: 22 }]);
    expect(warnings).toEqual(['roster target "a": port 70000 is not a TCP port, skipped', 'roster target "b": no usable host, skipped']);
  });

  it('fails with a stable code on YAML that does not parse or is not a mapping', () => {
    expect(() => parseRoster('a: [unclosed', 'r')).toThrow(expect.objectContaining({ code: 'ACT2_ROSTER_INVALID' }));
    expect(() => parseRoster('- a\n- b\n', 'r')).toThrow(expect.objectContaining({ code: 'ACT2_ROSTER_INVALID', message: 'roster r is not a mapping of id: {host, port, user}' }));
    expect(parseRoster('', 'r')).toEqual({ targets: [], warnings: ['roster r is empty'] });
  });
});
