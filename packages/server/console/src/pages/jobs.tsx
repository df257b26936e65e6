import type { JobTargetResult } from '@act2/shared';
import { api } from '../api.js';
import { Load, Pager, StatusBadge, Time } from '../components.js';
import { href, type Route } from '../router.js';
import { useLoad } from '../use-load.js';

const STATUSES = ['pending', 'running', 'done', 'partial', 'failed'];
/** Rows drawn at once on a job's page; a 10,000-target job is filtered by outcome first. */
const MAX_ROWS = 500;

const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(', ');

/** Recent jobs, newest first, filtered and paged by the server; open one by its id. */
export function JobsPage({ route }: { route: Route }) {
  const q = { status: route.query.get('status') ?? '', minion: route.query.get('minion') ?? '' };
  const cursor = route.query.get('cursor') ?? undefined;
  const loaded = useLoad(() => api.jobs({ ...q, cursor, limit: '50' }), `${q.status}|${q.minion}|${cursor}`);
  const onFilter = (event: globalThis.Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    location.hash = href(['jobs'], { status: String(form.get('status')), minion: String(form.get('minion')).trim() });
  };
  const onOpen = (event: globalThis.Event) => {
    event.preventDefault();
    const id = String(new FormData(event.currentTarget as HTMLFormElement).get('id')).trim();
    if (id) location.hash = href(['jobs', id]);
  };
  return (
    <section>
      <h1>Jobs</h1>
      <form class="filters" onSubmit={onOpen} aria-label="open a job">
        <label>
          Job id <input name="id" placeholder="a job id" />
        </label>
        <button type="submit">Open</button>
      </form>
      <form class="filters" onSubmit={onFilter} aria-label="filter jobs">
        <label>
          Status{' '}
          <select name="status" value={q.status}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Minion <input name="minion" value={q.minion} placeholder="any" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Load loaded={loaded}>
        {(page) =>
          page.items.length === 0 ? (
            <p class="muted">No jobs.</p>
          ) : (
            <>
              <table data-testid="jobs">
                <thead>
                  <tr>
                    <th>Created</th>
                    <th>Job</th>
                    <th>Function</th>
                    <th>Status</th>
                    <th>Targets</th>
                    <th>By</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((j) => (
                    <tr key={j.id}>
                      <td>
                        <Time iso={j.created_at} />
                      </td>
                      <td>
                        <a href={href(['jobs', j.id])}>{j.id}</a>
                      </td>
                      <td>
                        <code>{j.fun}</code>
                      </td>
                      <td>
                        <StatusBadge status={j.status} />
                      </td>
                      <td class="small">{counts(j.counts)}</td>
                      <td class="muted small">{j.requested_by}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager next={page.next_cursor ? href(['jobs'], { ...q, cursor: page.next_cursor }) : null} first={cursor ? href(['jobs'], q) : null} />
            </>
          )
        }
      </Load>
    </section>
  );
}

/** One job: what was asked, and every target's outcome, master, attempts and retcode. */
export function JobPage({ id }: { id: string }) {
  const job = useLoad(() => api.job(id), id);
  return (
    <section>
      <p>
        <a href={href(['jobs'])}>« Jobs</a>
      </p>
      <h1>
        Job <code>{id}</code>
      </h1>
      <Load loaded={job}>
        {(j) => (
          <>
            <dl class="facts" data-testid="job-facts">
              <dt>Status</dt>
              <dd>
                <StatusBadge status={j.status} />
              </dd>
              <dt>Call</dt>
              <dd>
                <code>
                  {j.fun} {JSON.stringify(j.arg)} {Object.keys(j.kwarg).length > 0 ? JSON.stringify(j.kwarg) : ''}
                </code>
              </dd>
              <dt>Targets</dt>
              <dd>{counts(j.counts)}</dd>
              <dt>Requested by</dt>
              <dd>{j.requested_by}</dd>
              <dt>Created</dt>
              <dd>
                <Time iso={j.created_at} />
              </dd>
              <dt>Finished</dt>
              <dd>{j.finished_at ? <Time iso={j.finished_at} /> : `not yet (timeout ${j.timeout_s} s)`}</dd>
            </dl>
            <h2>Targets</h2>
            <TargetTable targets={j.targets} />
          </>
        )}
      </Load>
    </section>
  );
}

function TargetTable({ targets }: { targets: JobTargetResult[] }) {
  const shown = targets.slice(0, MAX_ROWS);
  return (
    <>
      <table data-testid="job-targets">
        <thead>
          <tr>
            <th>Target</th>
            <th>Outcome</th>
            <th>Master</th>
            <th>Attempts</th>
            <th>Retcode</th>
            <th>Return or reason</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((t) => (
            <tr key={`${t.sn}|${t.ip ?? ''}`}>
              <td>
                <a href={href(['search'], { q: t.sn })}>{t.sn}</a>
              </td>
              <td>
                <StatusBadge status={t.outcome} />
              </td>
              <td>{t.master ? <a href={href(['masters', t.master])}>{t.master}</a> : ''}</td>
              <td class="small">
                {t.attempts.map((a, i) => (
                  <div key={i} title={a.reason ?? ''}>
                    {a.master}: {a.ok === null ? 'in flight' : a.ok ? 'ok' : `failed${a.reason ? ` (${a.reason})` : ''}`}
                  </div>
                ))}
              </td>
              <td>{t.retcode ?? ''}</td>
              <td class="small">
                {t.outcome === 'returned' ? <code>{JSON.stringify(t.return)}</code> : (t.reason ?? '')}
                {t.truncated ? <span class="muted"> (truncated)</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {targets.length > shown.length ? (
        <p class="muted">
          Showing the first {shown.length} of {targets.length} targets.
        </p>
      ) : null}
    </>
  );
}
