import type { EventList, Job, JobList, MasterDetail, MasterList, MinionDetail, MinionList, LookupResponse } from '@act2/shared';

const TOKEN_KEY = 'act2.token';

/** The signed-in API token, kept in this browser only (localStorage). */
export const token = {
  get: (): string | null => localStorage.getItem(TOKEN_KEY),
  set: (value: string) => localStorage.setItem(TOKEN_KEY, value),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** GET a read-API path with the token as `Authorization: Bearer`; errors carry the server's `{ code, message }`. */
async function get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
  const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  const url = params.size > 0 ? `${path}?${params}` : path;
  const headers: Record<string, string> = { accept: 'application/json' };
  const current = token.get();
  if (current) headers.authorization = `Bearer ${current}`;
  const response = await fetch(url, { headers });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new ApiError(response.status, body.code ?? 'ACT2_HTTP', body.message ?? `HTTP ${response.status}`);
  }
  return (await response.json()) as T;
}

const enc = encodeURIComponent;

export const api = {
  masters: (q: { status?: string; idc?: string; type?: string; cursor?: string; limit?: string }) => get<MasterList>('/api/v1/masters', q),
  master: (sn: string) => get<MasterDetail>(`/api/v1/masters/${enc(sn)}`),
  minionsOf: (master: string, cursor?: string) => get<MinionList>('/api/v1/minions', { master, cursor, limit: '100' }),
  minion: (sn: string) => get<MinionDetail>(`/api/v1/minions/${enc(sn)}`),
  lookup: (ip: string) => get<LookupResponse>('/api/v1/lookup', { ip }),
  events: (q: { master?: string; kind?: string; since?: string; cursor?: string; limit?: string }) =>
    get<EventList>('/api/v1/events', { ...q, order: 'desc' }),
  /** Jobs need a token with scope `jobs`: their returns may hold what `read` should not see. */
  jobs: (q: { status?: string; minion?: string; cursor?: string; limit?: string }) => get<JobList>('/api/v1/jobs', q),
  job: (id: string) => get<Job>(`/api/v1/jobs/${enc(id)}`),
};
