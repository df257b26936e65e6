import type { MinionDetail } from '@act2/shared';
import { api, ApiError } from '../api.js';
import { Load, StatusBadge, Time } from '../components.js';
import { href, type Route } from '../router.js';
import { useLoad } from '../use-load.js';

const looksLikeIp = (text: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(text) || (text.includes(':') && /^[0-9a-f:.]+$/i.test(text));

/** A minion id or an IP → every master that manages it, in the order a job would try them. */
export function SearchPage({ route }: { route: Route }) {
  const q = (route.query.get('q') ?? '').trim();
  const loaded = useLoad(async (): Promise<MinionDetail[]> => {
    if (q === '') return [];
    try {
      return looksLikeIp(q) ? (await api.lookup(q)).items : [await api.minion(q)];
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return [];
      throw err;
    }
  }, q);
  return (
    <section>
      <h1>Find a minion</h1>
      <p class="muted">By minion id or IP address: every master that manages it, in the order a job would use them.</p>
      <SearchBox value={q} />
      {q === '' ? null : (
        <Load loaded={loaded}>
          {(minions) =>
            minions.length === 0 ? (
              <p class="muted" data-testid="no-match">
                No master reports <code>{q}</code>.
              </p>
            ) : (
              <>
                {minions.map((m) => (
                  <MinionResult key={m.sn} minion={m} />
                ))}
              </>
            )
          }
        </Load>
      )}
    </section>
  );
}

export function SearchBox({ value }: { value: string }) {
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    location.hash = href(['search'], { q: String(form.get('q')).trim() });
  };
  return (
    <form class="search" role="search" onSubmit={onSubmit}>
      <input name="q" value={value} placeholder="minion id or IP" aria-label="minion id or IP" />
      <button type="submit">Search</button>
    </form>
  );
}

function MinionResult({ minion }: { minion: MinionDetail }) {
  return (
    <article class="card" data-testid="minion-result">
      <h2>
        <code>{minion.sn}</code> <StatusBadge status={minion.status} />
      </h2>
      <p class="muted">IPs: {minion.ips.join(', ') || 'none reported'}</p>
      <table data-testid="managing-masters">
        <thead>
          <tr>
            <th>#</th>
            <th>Master</th>
            <th>Master status</th>
            <th>Minion there</th>
            <th>IDC</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {minion.masters.map((m, i) => (
            <tr key={m.sn}>
              <td>{i + 1}</td>
              <td>
                <a href={href(['masters', m.sn])}>{m.sn}</a>
              </td>
              <td>
                <StatusBadge status={m.status} />
              </td>
              <td>
                <StatusBadge status={m.minion_status} />
              </td>
              <td>{m.idc}</td>
              <td>
                <Time iso={m.last_seen} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
