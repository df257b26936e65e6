import type { Event } from '@act2/shared';
import { api } from '../api.js';
import { Load, Pager, Time } from '../components.js';
import { href, type Route } from '../router.js';
import { useLoad } from '../use-load.js';

const KINDS = [
  'master.registered',
  'master.stopped',
  'master.timeout',
  'master.recovered',
  'master.purged',
  'minion.joined',
  'minion.left',
  'minion.status',
  'minion.purged',
  'job.created',
  'job.finished',
];

/** The events timeline, newest first, filtered and paged by the server. */
export function EventsPage({ route }: { route: Route }) {
  const q = { master: route.query.get('master') ?? '', kind: route.query.get('kind') ?? '', since: route.query.get('since') ?? '' };
  const cursor = route.query.get('cursor') ?? undefined;
  const loaded = useLoad(() => api.events({ ...q, since: q.since ? new Date(q.since).toISOString() : undefined, cursor, limit: '50' }), `${q.master}|${q.kind}|${q.since}|${cursor}`);
  const onSubmit = (event: globalThis.Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    location.hash = href(['events'], { master: String(form.get('master')).trim(), kind: String(form.get('kind')), since: String(form.get('since')) });
  };
  return (
    <section>
      <h1>Events</h1>
      <form class="filters" onSubmit={onSubmit} aria-label="filter events">
        <label>
          Master <input name="master" value={q.master} placeholder="any" />
        </label>
        <label>
          Kind{' '}
          <select name="kind" value={q.kind}>
            <option value="">any</option>
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          Since <input name="since" type="datetime-local" value={q.since} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Load loaded={loaded}>
        {(page) => (
          <>
            <EventTable items={page.items} showMaster />
            <Pager next={page.next_cursor ? href(['events'], { ...q, cursor: page.next_cursor }) : null} first={cursor ? href(['events'], q) : null} />
          </>
        )}
      </Load>
    </section>
  );
}

export function EventTable({ items, showMaster }: { items: Event[]; showMaster: boolean }) {
  if (items.length === 0) return <p class="muted">No events.</p>;
  return (
    <table data-testid="events">
      <thead>
        <tr>
          <th>When</th>
          <th>Event</th>
          {showMaster ? <th>Master</th> : null}
          <th>Minion</th>
          <th>Details</th>
          <th>Instance</th>
        </tr>
      </thead>
      <tbody>
        {items.map((e) => (
          <tr key={e.id}>
            <td>
              <Time iso={e.at} />
            </td>
            <td>
              <span class={`kind kind-${e.kind.split('.')[1]}`}>{e.kind}</span>
            </td>
            {showMaster ? <td>{e.master_sn ? <a href={href(['masters', e.master_sn])}>{e.master_sn}</a> : ''}</td> : null}
            <td>{e.minion_sn ? <a href={href(['search'], { q: e.minion_sn })}>{e.minion_sn}</a> : ''}</td>
            <td class="small">
              {typeof e.detail?.job_id === 'string' ? (
                <>
                  <a href={href(['jobs', e.detail.job_id])}>job {e.detail.job_id}</a>{' '}
                </>
              ) : null}
              {e.detail ? JSON.stringify(e.detail) : ''}
            </td>
            <td class="muted small">{e.instance_id}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
