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
