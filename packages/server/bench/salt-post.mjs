// One salt-api POST for the jobs bench's bare client and floor servers: undici's own `request` on the
// caller's keep-alive pool (as act2-server calls salt-api), the answer's `return[0]`.
import { request } from 'undici';

const json = { 'content-type': 'application/json', accept: 'application/json' };

export async function saltPost(dispatcher, url, body, token) {
  const headers = token === undefined ? json : { ...json, 'x-auth-token': token };
  const res = await request(url, { method: 'POST', dispatcher, headers, body: JSON.stringify(body) });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`salt-api ${res.statusCode}`);
  return JSON.parse(text).return[0];
}
