import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../../../../fixtures/salt-api-captures/', import.meta.url));

/** A real salt-api answer: status, content type and the byte-exact body. */
export interface CapturedAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Loads capture `NN` (e.g. '15') from fixtures/salt-api-captures: `NN-name.txt` + `NN-name.body.*`. */
export function capture(number: string): CapturedAnswer {
  const files = readdirSync(DIR).filter((f) => f.startsWith(`${number}-`));
  const txt = files.find((f) => f.endsWith('.txt'));
  const bodyFile = files.find((f) => f.includes('.body.'));
  if (!txt || !bodyFile) throw new Error(`no capture ${number}`);
  const text = readFileSync(DIR + txt, 'utf8');
  const head = text.split('### RESPONSE STATUS')[1] ?? '';
  const status = Number(/HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /^Content-Type: (.+)$/im.exec(head)?.[1]?.trim() ?? 'application/octet-stream';
  return { status, contentType, body: readFileSync(DIR + bodyFile) };
}

/** A JSON answer shaped like salt-api's (Python spacing is irrelevant to the agent). */
export function saltJson(value: unknown, status = 200): CapturedAnswer {
  return { status, contentType: 'application/json', body: Buffer.from(JSON.stringify(value)) };
}

/** The CherryPy error page salt-api sends, with `text` in its `<p>` (same template as the captures). */
export function cherrypyPage(status: number, title: string, text: string): CapturedAnswer {
  const template = capture('49').body.toString('utf8');
  const body = template.replaceAll('400 Bad Request', `${status} ${title}`).replace(/<p>[\s\S]*?<\/p>/, `<p>${text}</p>`);
  return { status, contentType: 'text/html;charset=utf-8', body: Buffer.from(body) };
}
