import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Files laid out as a Puppet agent has them: the CA certificate, this host's certificate and key. */
export interface PuppetSsl {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** PEM texts of the PuppetDB side: its server certificate and key, signed by the same CA. */
  server: { key: string; cert: string; ca: string };
}

/** A throwaway Puppet-like CA (openssl) with a PuppetDB server certificate and an agent client certificate. */
export function makePuppetSsl(): PuppetSsl {
  const dir = mkdtempSync(join(tmpdir(), 'act2-puppet-ssl-'));
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Puppet CA: puppet.example', '-keyout', f('ca_key.pem'), '-out', f('ca.pem'));
  const issue = (name: string, cn: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}_key.pem`), '-out', f(`${name}.csr`));
    execFileSync('sh', ['-c', `printf '%s\\n' '${ext}' > ${f(`${name}.ext`)}`]);
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca_key.pem'), '-CAcreateserial', '-days', '1', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
  };
  issue('puppetdb', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  issue('agent', 'puppet.example.com', 'extendedKeyUsage=clientAuth');
  return {
    dir,
    caFile: f('ca.pem'),
    certFile: f('agent.pem'),
    keyFile: f('agent_key.pem'),
    server: { key: readFileSync(f('puppetdb_key.pem'), 'utf8'), cert: readFileSync(f('puppetdb.pem'), 'utf8'), ca: readFileSync(f('ca.pem'), 'utf8') },
  };
}
