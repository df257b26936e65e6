import type { ComponentChildren } from 'preact';
import { ApiError } from './api.js';
import type { Loaded } from './use-load.js';

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** `2026-01-01T10:00:00.000Z` → local `2026-01-01 11:00:00`, with the ISO time on hover. */
export function Time({ iso }: { iso: string }) {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  const text = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return (
    <time dateTime={iso} title={iso}>
      {text}
    </time>
  );
}

/** Loading, error (a 401/403 asks for a token) or the content. */
export function Load<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p class="muted">Loading…</p>;
  if (loaded.state === 'error') {
    const { error } = loaded;
    const auth = error instanceof ApiError && (error.status === 401 || error.status === 403);
    return (
      <p class="error" role="alert">
        {auth ? 'This token may not read the registry: sign in with another one. ' : ''}
        {error instanceof ApiError ? `${error.code}: ` : ''}
        {error.message}
      </p>
    );
  }
  return <>{children(loaded.data)}</>;
}

export function Pager({ next, first }: { next: string | null; first: string | null }) {
  return (
    <nav class="pager">
      {first ? <a href={first}>« First page</a> : null}
      {next ? (
        <a href={next} data-testid="next-page">
          Next page »
        </a>
      ) : (
        <span class="muted">End of list</span>
      )}
    </nav>
  );
}
