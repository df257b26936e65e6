import type { MasterList } from '@act2/shared';
import { api } from '../api.js';
import { Load, Pager, StatusBadge, Time } from '../components.js';
import { href, type Route } from '../router.js';
import { useLoad } from '../use-load.js';

const PAGE = '50';

/** Masters, filtered and paged by the server (50 a page): fine for 10,000 masters. */
export function MastersPage({ route }: { route: Route }) {
  const q = { status: route.query.get('status') ?? '', idc: route.query.get('idc') ?? '', type: route.query.get('type') ?? '' };
  const cursor = route.query.get('cursor') ?? undefined;
  const loaded = useLoad(() => api.masters({ ...q, cursor, limit: PAGE }), `${q.status}|${q.idc}|${q.type}|${cursor}`);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    location.hash = href(['masters'], { status: String(form.get('status')), idc: String(form.get('idc')).trim(), type: String(form.get('type')) });
  };
  return (
    <section>
      <h1>Masters</h1>
      <form class="filters" onSubmit={onSubmit} aria-label="filter masters">
        <label>
          Status{' '}
          <select name="status" value={q.status}>
            <option value="">any</option>
            <option>running</option>
            <option>stopped</option>
            <option>timeout</option>
          </select>
        </label>
        <label>
          IDC <input name="idc" value={q.idc} placeholder="any" />
        </label>
        <label>
          Type{' '}
          <select name="type" value={q.type}>
            <option value="">any</option>
            <option>salt</option>
            <option>puppet</option>
            <option>openssh</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <Load loaded={loaded}>{(page) => <MasterTable page={page} query={q} cursor={cursor} />}</Load>
    </section>
  );
}

function MasterTable({ page, query, cursor }: { page: MasterList; query: Record<string, string>; cursor: string | undefined }) {
  if (page.items.length === 0) return <p class="muted">No master matches.</p>;
  return (
    <>
      <table data-testid="masters">
        <thead>
          <tr>
            <th>Master</th>
            <th>Status</th>
            <th>IDC</th>
            <th>Type</th>
            <th class="num">Minions running</th>
            <th class="num">stopped</th>
            <th>Last seen</th>
            <th>Agent</th>
          </tr>
        </thead>
        <tbody>
          {page.items.map((m) => (
            <tr key={m.sn}>
              <td>
                <a href={href(['masters', m.sn])}>{m.sn}</a>
                <div class="muted small">{m.server}</div>
              </td>
              <td>
                <StatusBadge status={m.status} />
              </td>
              <td>{m.idc}</td>
              <td>{m.type}</td>
              <td class="num">{m.minions_running}</td>
              <td class="num">{m.minion_count - m.minions_running}</td>
              <td>
                <Time iso={m.last_seen} />
              </td>
              <td>{m.agent_version ?? <span class="muted">heartbeat.py</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager
        next={page.next_cursor ? href(['masters'], { ...query, cursor: page.next_cursor }) : null}
        first={cursor ? href(['masters'], query) : null}
      />
    </>
  );
}
