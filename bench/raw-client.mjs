// The baseline of bench/agent.mjs: the agent's salt-api calls and its POST, with bare fetch and no
// validation, IP filtering, retries or logging. argv: <salt-api url> <act2-server url> <master sn>
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
const minions = [];
for (const id of up) minions.push({ sn: id, status: 'running', ips: Object.values(live[id]?.ip4_interfaces ?? {}).flat() });
for (const id of down) minions.push({ sn: id, status: 'stopped', ips: Object.values(cached[id]?.ip4_interfaces ?? {}).flat() });
const payload = { master: { sn, server: saltUrl, status: 'running', idc: 'bench', type: 'salt' }, minions };
const res = await fetch(`${act2Url}/register`, { method: 'POST', headers: json, body: JSON.stringify(payload) });
if (!res.ok) throw new Error(`register answered ${res.status}: ${await res.text()}`);
