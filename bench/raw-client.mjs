// The baseline of bench/agent.mjs: the agent's salt-api calls and its POST, with bare fetch and no
// validation, IP filtering, retries or logging. It sends the body the agent sends: the same
// fields per minion (sn, status, ips, id and the serial, uuid, os and saltversion grains, copied
// as they come) and the same envelope, gzipped at the agent's level (1) from the agent's threshold
// (64 KiB) on; so the baseline pays the same JSON.stringify and gzip as the agent, and only the
// checks and filtering are the agent's own cost. argv: <salt-api url> <act2-server url> <master sn>
import { gzipSync } from 'node:zlib';

const [saltUrl, act2Url, sn] = process.argv.slice(2);
const json = { 'content-type': 'application/json', accept: 'application/json' };
const login = await fetch(`${saltUrl}/login`, {
  method: 'POST',
  headers: json,
  body: JSON.stringify({ username: 'salt-api', password: process.env.ACT2_SALT_PASSWORD, eauth: 'pam' }),
});
const token = (await login.json()).return[0].token;
const run = async (chunk) => {
  const res = await fetch(saltUrl, { method: 'POST', headers: { ...json, 'x-auth-token': token }, body: JSON.stringify([chunk]) });
  return (await res.json()).return[0];
};
const { up, down } = await run({ client: 'runner', fun: 'manage.status', kwarg: { timeout: 1, gather_job_timeout: 1 } });
// The same grains the agent asks for (GRAIN_NAMES), so both move the same bytes.
const grainNames = ['id', 'ip4_interfaces', 'ipv4', 'serialnumber', 'uuid', 'os', 'osrelease', 'saltversion'];
const live = await run({ client: 'local', tgt: up, tgt_type: 'list', fun: 'grains.item', arg: grainNames, timeout: 1, gather_job_timeout: 1 });
const cached = down.length ? await run({ client: 'runner', fun: 'cache.grains', tgt: down, tgt_type: 'list' }) : {};
const minion = (id, status, g = {}) => ({
  sn: id,
  status,
  ips: Object.values(g.ip4_interfaces ?? {}).flat(),
  id,
  serial: g.serialnumber,
  uuid: g.uuid,
  os: `${g.os} ${g.osrelease}`,
  saltversion: g.saltversion,
});
const minions = [];
for (const id of up) minions.push(minion(id, 'running', live[id]));
for (const id of down) minions.push(minion(id, 'stopped', cached[id]));
const payload = {
  master: { sn, server: saltUrl, status: 'running', idc: 'bench', type: 'salt' },
  minions,
  schema_version: 1,
  agent: { version: 'raw', hostname: 'raw' },
  interval_s: 1800,
};
const text = Buffer.from(JSON.stringify(payload));
const gzip = text.length >= 64 * 1024;
const body = gzip ? gzipSync(text, { level: 1 }) : text;
const res = await fetch(`${act2Url}/register`, { method: 'POST', headers: { ...json, ...(gzip ? { 'content-encoding': 'gzip' } : {}) }, body });
if (!res.ok) throw new Error(`register answered ${res.status}: ${await res.text()}`);
if (process.env.RAW_CLIENT_DEBUG) console.error(`raw client: ${text.length} bytes of JSON, ${body.length} sent`);
