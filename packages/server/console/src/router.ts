import { useEffect, useState } from 'preact/hooks';

/** A hash route: `#/masters/abc?status=running` → `{ path: ['masters', 'abc'], query }`. */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

function parse(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** `href('masters', sn)` with optional query, dropping empty values. */
export function href(path: string[], query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  return `#/${path.map(encodeURIComponent).join('/')}${params.size > 0 ? `?${params}` : ''}`;
}
