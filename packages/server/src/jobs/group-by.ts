/** Appends `item` to the list under `key` (in place: no copying, a 10,000-target job groups in O(n)). */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, item: V): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}
