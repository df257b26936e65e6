import { expect, it } from 'vitest';
import { createReadCache } from './read-cache.js';

it('serves an answer until ttl after its query started, then forgets it', () => {
  let now = 1_000;
  const cache = createReadCache({ ttlMs: 1_000, maxEntries: 10, now: () => now });
  const queriedAt = cache.now();
  now = 1_300; // the query took 300 ms
  cache.set('m-1', '{"sn":"m-1"}', queriedAt);

  now = 1_999;
  expect(cache.get('m-1')).toBe('{"sn":"m-1"}');
  now = 2_000;
  expect(cache.get('m-1')).toBeUndefined();
});

it('does not keep an answer whose query started a ttl ago or more', () => {
  let now = 0;
  const cache = createReadCache({ ttlMs: 1_000, maxEntries: 10, now: () => now });
  now = 1_000;
  cache.set('m-1', '{}', 0);

  expect(cache.get('m-1')).toBeUndefined();
});

it('keeps at most maxEntries answers, dropping the oldest first', () => {
  const cache = createReadCache({ ttlMs: 1_000, maxEntries: 2, now: () => 0 });
  cache.set('a', 'A', 0);
  cache.set('b', 'B', 0);
  cache.set('c', 'C', 0);

  expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 'B', 'C']);
});
