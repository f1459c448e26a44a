import { AuthError } from '../errors.ts';
import { FileStore } from './file.ts';
import { PostgresStore } from './postgres.ts';
import type { AuthStore } from './types.ts';

export type * from './types.ts';
export { SCHEMA_VERSION } from './types.ts';
export { FileStore } from './file.ts';
export { PostgresStore } from './postgres.ts';

/** Store settings as in moodle-mcp.config.yaml `store`. */
export interface StoreConfig {
  type: 'file' | 'postgres';
  dir: string;
  postgres_url_env: string;
}

/** Opens and migrates the configured store. PostgreSQL's URL comes from the environment variable the config names. */
export async function openStore(config: StoreConfig, env: NodeJS.ProcessEnv = process.env): Promise<AuthStore> {
  let store: AuthStore;
  if (config.type === 'file') store = new FileStore(config.dir);
  else {
    const url = env[config.postgres_url_env];
    if (!url) throw new AuthError('config', `store.type is postgres but environment variable ${config.postgres_url_env} is not set`);
    store = new PostgresStore(url);
  }
  await store.migrate();
  return store;
}

const KEEP_REVOKED_DAYS = 30;

/**
 * Deletes expired OAuth state and connections expired or revoked more than 30 days ago, every `intervalMs`
 * (default hourly, first run at once; revoked connections are kept 30 days so `connections list --all` shows them).
 */
export function scheduleStoreCleanup(
  store: AuthStore,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): { stop(): void; runNow(): Promise<number> } {
  const keep = KEEP_REVOKED_DAYS * 86_400_000;
  const runNow = () =>
    store.deleteExpired(new Date(), keep).catch((error) => {
      options.onError?.(error);
      return 0;
    });
  const timer = setInterval(runNow, options.intervalMs ?? 3_600_000);
  timer.unref();
  void runNow();
  return { stop: () => clearInterval(timer), runNow };
}
