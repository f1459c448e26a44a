// Runs the shared store suite against a private PostgreSQL cluster; fails (does not skip) when PostgreSQL is missing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PostgresStore } from '../../runtime/auth/store/index.ts';
import { startPgCluster, type PgCluster } from './pg-cluster.ts';
import { storeSuite } from './store-suite.ts';

let cluster: PgCluster;
before(async () => {
  cluster = await startPgCluster();
});
after(async () => {
  await cluster?.stop();
});
let n = 0;

storeSuite('postgres', async () => {
  const s = new PostgresStore(cluster.createDatabase(`t${n++}`));
  await s.migrate();
  return s;
});

describe('PostgresStore specifics', () => {
  it('concurrent migrations of several replicas apply each migration once', async () => {
    const url = cluster.createDatabase('replicas');
    const stores = [new PostgresStore(url), new PostgresStore(url), new PostgresStore(url)];
    await Promise.all(stores.map((s) => s.migrate()));
    const { rows } = await stores[0].pool.query('SELECT version FROM auth_schema_migrations');
    assert.deepEqual(rows, [{ version: 1 }, { version: 2 }]);
    await Promise.all(stores.map((s) => s.close()));
  });
});
