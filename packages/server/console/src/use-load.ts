import { useEffect, useState } from 'preact/hooks';
import { type ApiError } from './api.js';

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; data: T } | { state: 'error'; error: ApiError | Error };

/**
 * Runs `load` whenever `key` changes; a stale answer (the user moved on) is dropped, and while the
 * new key's answer is awaited the caller sees `loading`, never the previous key's data.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [loaded, setLoaded] = useState<{ key: string; result: Loaded<T> }>({ key, result: { state: 'loading' } });
  useEffect(() => {
    let current = true;
    setLoaded({ key, result: { state: 'loading' } });
    load().then(
      (data) => current && setLoaded({ key, result: { state: 'ok', data } }),
      (error: Error) => current && setLoaded({ key, result: { state: 'error', error } }),
    );
    return () => {
      current = false;
    };
    // `key` names everything `load` depends on.
  }, [key]);
  return loaded.key === key ? loaded.result : { state: 'loading' };
}
