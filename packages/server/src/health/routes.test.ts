import { expect, it } from 'vitest';
import { useTestApp } from '../../test/helpers/app.js';
import { describeEachDialect } from '../../test/helpers/db.js';

describeEachDialect('health endpoints', (dialect) => {
  const t = useTestApp(dialect);

  it('answers /healthz and /readyz with 200 while the database answers', async () => {
    const [health, ready] = await Promise.all([t.current.app.inject({ url: '/healthz' }), t.current.app.inject({ url: '/readyz' })]);

    expect([health.statusCode, health.json()]).toEqual([200, { status: 'ok' }]);
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ok', database: dialect }]);
  });
});
