import { api } from '../api.js';
import { Load, Pager, StatusBadge, Time } from '../components.js';
import { href, type Route } from '../router.js';
import { useLoad } from '../use-load.js';
import { EventTable } from './events.js';

/** One master: its facts, its minions (paged) and its 20 latest events. */
export function MasterPage({ sn, route }: { sn: string; route: Route }) {
  const cursor = route.query.get('cursor') ?? undefined;
  const master = useLoad(() => api.master(sn), sn);
  const minions = useLoad(() => api.minionsOf(sn, cursor), `${sn}|${cursor}`);
  const events = useLoad(() => api.events({ master: sn, limit: '20' }), sn);
  return (
    <section>
      <p>
        <a href={href(['masters'])}>« Masters</a>
      </p>
      <h1>
        Master <code>{sn}</code>
      </h1>
      <Load loaded={master}>
        {(m) => (
          <dl class="facts" data-testid="master-facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={m.status} />
              {m.error ? <span class="error"> {m.error}</span> : null}
            </dd>
            <dt>salt-api</dt>
            <dd>{m.server}</dd>
            <dt>IDC / type</dt>
            <dd>
              {m.idc} / {m.type}
            </dd>
            <dt>Minions</dt>
            <dd>
              {m.minions_running} running, {m.minion_count - m.minions_running} stopped
            </dd>
            <dt>Last seen</dt>
            <dd>
              <Time iso={m.last_seen} />
            </dd>
            <dt>First seen</dt>
            <dd>
              <Time iso={m.first_seen} />
            </dd>
            <dt>Agent</dt>
            <dd>{m.agent_version ?? 'heartbeat.py'}</dd>
          </dl>
        )}
      </Load>
      <h2>Minions</h2>
      <Load loaded={minions}>
        {(page) => (
          <>
            <table data-testid="master-minions">
              <thead>
                <tr>
                  <th>Minion</th>
                  <th>Status</th>
                  <th>IPs</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((m) => (
                  <tr key={m.sn}>
                    <td>
                      <a href={href(['search'], { q: m.sn })}>{m.sn}</a>
                    </td>
                    <td>
                      <StatusBadge status={m.status} />
                    </td>
                    <td>{m.ips.join(', ')}</td>
                    <td>
                      <Time iso={m.updated_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager
              next={page.next_cursor ? href(['masters', sn], { cursor: page.next_cursor }) : null}
              first={cursor ? href(['masters', sn]) : null}
            />
          </>
        )}
      </Load>
      <h2>Recent events</h2>
      <Load loaded={events}>{(page) => <EventTable items={page.items} showMaster={false} />}</Load>
      <p>
        <a href={href(['events'], { master: sn })}>All events of this master »</a>
      </p>
    </section>
  );
}
