import type { Job, Master, MinionDetail } from '@act2/shared';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  return rows.map((row) => `  ${row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ').trimEnd()}`).join('\n');
}

/** The masters table: what act2 now knows about every salt-master. */
export function mastersTable(masters: Master[]): string {
  const rows = [['MASTER', 'STATUS', 'IDC', 'MINIONS', 'LAST SEEN', 'ERROR']];
  for (const m of masters) {
    rows.push([m.sn, m.status, m.idc, String(m.minion_count), m.last_seen, m.error ?? '']);
  }
  return table(rows);
}

/** "Which master do I send a job for this machine to?", best candidate first. */
export function lookupTable(minion: MinionDetail): string {
  const rows = [['#', 'MASTER', 'STATUS', 'MINION AS SEEN THERE', 'SALT-API', 'LAST SEEN']];
  minion.masters.forEach((m, i) => {
    rows.push([String(i + 1), m.sn, m.status, m.minion_status, m.server, m.last_seen]);
  });
  return table(rows);
}

/** A finished job: each target's outcome and return, then every attempt with its reason. */
export function jobTable(job: Job): string {
  const rows = [['TARGET', 'OUTCOME', 'MASTER', 'JID', 'RETCODE', 'RETURN']];
  for (const t of job.targets) rows.push([t.sn, t.outcome, t.master ?? '-', t.jid ?? '-', String(t.retcode ?? '-'), JSON.stringify(t.return)]);
  const attempts = job.targets.flatMap((t) => t.attempts.map((a, i) => `    attempt ${i + 1} on ${a.master}: ${a.ok ? 'ok' : `failed (${a.reason ?? 'unknown'})`}`));
  return [`  job ${job.id}: ${job.status} (requested by ${job.requested_by})`, table(rows), ...attempts].join('\n');
}
