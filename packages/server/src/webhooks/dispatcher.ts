import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { request, type Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { toApiEvent } from '../events/repository.js';
import type { Metrics } from '../metrics/metrics.js';
import { VERSION } from '../version.js';
import { claimDue, enqueueDeliveries, recordAttempt, releaseLeases, urlKey, type AttemptResult, type ClaimedDelivery } from './outbox.js';
import { SIGNATURE_HEADER, signature } from './sign.js';

export interface WebhookDispatcherOptions {
  db: Kysely<Database>;
  clock: Clock;
  urls: readonly string[];
  /** HMAC-SHA256 key (the --webhook-secret-file contents). */
  secret: Buffer;
  instanceId: string;
  retryForMs: number;
  metrics: Metrics;
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>;
  /** undici dispatcher for the POSTs (tests inject one). */
  dispatcher?: Dispatcher;
  /** One attempt's limit: connect, answer and body. */
  timeoutMs?: number;
  /** Sends in flight at once, in all. */
  maxInFlight?: number;
  /** Sends in flight at once to one URL: a receiver that hangs holds only these. */
  perUrlInFlight?: number;
}

export interface WebhookDispatcher {
  /** Enqueue new events, lease what is due, start sending; returns without waiting for the sends. */
  tick(): Promise<void>;
  /** Resolves when every send started so far has finished. */
  drain(): Promise<void>;
}

/**
 * Sends webhook deliveries from the outbox. Registrations never wait for it: they only write
 * events; this reads them. Each attempt runs on its own with a timeout, so a receiver that hangs
 * or fails delays only its own deliveries.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxInFlight = options.maxInFlight ?? 32;
  const perUrl = options.perUrlInFlight ?? 4;
  const inFlight = new Set<Promise<void>>();
  const perKey = new Map<string, number>();

  const send = async (claimed: ClaimedDelivery): Promise<AttemptResult> => {
    const body = JSON.stringify(toApiEvent(claimed.event));
    const unix = Math.floor((await options.clock(options.db)) / 1000);
    try {
      const response = await request(claimed.url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': `act2-server/${VERSION}`,
          'act2-event-id': String(claimed.event.id),
          'idempotency-key': String(claimed.event.id),
          [SIGNATURE_HEADER]: signature(options.secret, unix, body),
        },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
      await response.body.dump();
      return response.statusCode >= 200 && response.statusCode < 300
        ? { ok: true, status: response.statusCode }
        : { ok: false, status: response.statusCode, error: `HTTP ${response.statusCode}` };
    } catch (err) {
      return { ok: false, status: null, error: (err as Error).message || String(err) };
    }
  };

  const run = async (claimed: ClaimedDelivery) => {
    const key = claimed.delivery.url_key;
    try {
      const result = await send(claimed);
      const outcome = await recordAttempt(options.db, claimed.delivery, result, { now: await options.clock(options.db), retryForMs: options.retryForMs });
      options.metrics.webhookDeliveries.inc({ result: outcome });
      if (outcome !== 'delivered') {
        options.log.warn({ url: claimed.url, eventId: String(claimed.event.id), attempts: claimed.delivery.attempts + 1, status: result.status, outcome, err: result.ok ? undefined : result.error }, 'webhook delivery failed');
      }
    } catch (err) {
      // Recording failed (database down): the lease runs out and the delivery is tried again.
      options.log.warn({ err, url: claimed.url }, 'webhook delivery could not be recorded');
    } finally {
      perKey.set(key, (perKey.get(key) ?? 1) - 1);
    }
  };

  return {
    async tick() {
      const now = await options.clock(options.db);
      await enqueueDeliveries(options.db, options.urls, now);
      const busy = options.urls.map(urlKey).filter((k) => (perKey.get(k) ?? 0) >= perUrl);
      const claimed = await claimDue(options.db, {
        now,
        instanceId: options.instanceId,
        limit: maxInFlight - inFlight.size,
        leaseMs: timeoutMs + 20_000,
        busyUrlKeys: busy,
      });
      const over: number[] = [];
      for (const c of claimed) {
        const key = c.delivery.url_key;
        if ((perKey.get(key) ?? 0) >= perUrl) {
          over.push(c.delivery.id);
          continue;
        }
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        const p: Promise<void> = run(c).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      // Over a URL's share: hand those back at once rather than sit on their lease.
      if (over.length > 0) await releaseLeases(options.db, over);
    },
    async drain() {
      await Promise.all(inFlight);
    },
  };
}
