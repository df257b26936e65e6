import { readFileSync } from 'node:fs';

/** How often every instance looks for webhook work. */
export const WEBHOOK_TICK_MS = 1_000;

export class WebhookSecretError extends Error {
  readonly code = 'ACT2_WEBHOOK_SECRET';
}

/** The signing key: the file's contents, surrounding whitespace trimmed; at least 16 bytes. */
export function readWebhookSecret(file: string | undefined): Buffer {
  if (file === undefined) throw new WebhookSecretError('--webhook needs --webhook-secret-file');
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new WebhookSecretError(`cannot read --webhook-secret-file ${file}: ${(err as Error).message}`);
  }
  if (Buffer.byteLength(text) < 16) throw new WebhookSecretError(`--webhook-secret-file ${file} holds fewer than 16 bytes: use a long random secret`);
  return Buffer.from(text);
}
