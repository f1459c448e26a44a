import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';
import { AuthError } from '../errors.ts';
import type { MoodleUser, Scope } from '../types.ts';
import { assertUser, publicConnection } from './common.ts';
import {
  SCHEMA_VERSION,
  type AuthStore,
  type ConnectionRecord,
  type ListConnectionsOptions,
  type OidcRecord,
  type PrivacyUser,
  type UserExport,
} from './types.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
/** Arbitrary constant: serialises concurrent migrations of several replicas. */
const MIGRATION_LOCK = 0x6d6d6370;

interface ConnectionRow {
  id: string;
  kind: 'apikey' | 'oauth';
  name: string | null;
  profile: string;
  scopes: string[];
  key_hash: string | null;
  key_prefix: string | null;
  moodle_token_enc: string | null;
  moodle_token_source: ConnectionRecord['moodleTokenSource'] | null;
  moodle_user: MoodleUser | null;
  client: ConnectionRecord['client'] | null;
  grant_id: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

function toRecord(r: ConnectionRow): ConnectionRecord {
  const c: ConnectionRecord = {
    id: r.id,
    kind: r.kind,
    profile: r.profile,
    scopes: r.scopes as Scope[],
    moodleTokenEnc: r.moodle_token_enc,
    createdAt: r.created_at.toISOString(),
  };
  if (r.name !== null) c.name = r.name;
  if (r.key_hash !== null) c.keyHash = r.key_hash;
  if (r.key_prefix !== null) c.keyPrefix = r.key_prefix;
  if (r.moodle_token_source) c.moodleTokenSource = r.moodle_token_source;
  if (r.moodle_user !== null) c.moodleUser = r.moodle_user;
  if (r.client !== null) c.client = r.client;
  if (r.grant_id !== null) c.grantId = r.grant_id;
  if (r.last_used_at) c.lastUsedAt = r.last_used_at.toISOString();
  if (r.expires_at) c.expiresAt = r.expires_at.toISOString();
  if (r.revoked_at) c.revokedAt = r.revoked_at.toISOString();
  return c;
}

function toOidc(r: { payload: Record<string, unknown>; grant_id: string | null; user_code: string | null; uid: string | null; expires_at: Date | null; consumed: boolean }): OidcRecord {
  const o: OidcRecord = { payload: r.payload };
  if (r.grant_id !== null) o.grantId = r.grant_id;
  if (r.user_code !== null) o.userCode = r.user_code;
  if (r.uid !== null) o.uid = r.uid;
  if (r.expires_at) o.expiresAt = r.expires_at.getTime();
  if (r.consumed) o.consumed = true;
  return o;
}

const LIVE = '(expires_at IS NULL OR expires_at > now())';

/** PostgreSQL store for several gateway replicas; schema from numbered SQL files in ./migrations. */
export class PostgresStore implements AuthStore {
  readonly pool: pg.Pool;

  /** `connection` is a connection string or pg pool options. */
  constructor(connection: string | pg.PoolConfig) {
    this.pool = new pg.Pool(typeof connection === 'string' ? { connectionString: connection, max: 10 } : connection);
    this.pool.on('error', () => undefined); // idle client errors surface on the next query instead of crashing
  }

  async migrate(): Promise<void> {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS auth_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      const applied = new Set((await client.query<{ version: number }>('SELECT version FROM auth_schema_migrations')).rows.map((r) => r.version));
      const newest = Math.max(0, ...applied);
      if (newest > SCHEMA_VERSION) throw new AuthError('store', `database has auth schema version ${newest}; this gateway knows up to ${SCHEMA_VERSION}`);
      for (const file of files) {
        const version = Number(file.slice(0, 3));
        if (applied.has(version)) continue;
        const sql = await readFile(new URL(file, MIGRATIONS_DIR), 'utf8');
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query('INSERT INTO auth_schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new AuthError('store', `migration ${file} failed: ${(err as Error).message}`, { cause: err });
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      if (err instanceof AuthError) throw err;
      const e = err as { code?: string; message: string };
      if (e.code === '23505') throw new AuthError('store', `duplicate: ${e.message}`);
      throw new AuthError('store', `database error: ${e.message}`, { cause: err });
    }
  }

  // ---- connections -----------------------------------------------------------------------------

  async createConnection(c: ConnectionRecord): Promise<void> {
    await this.q(
      `INSERT INTO connections (id, kind, name, profile, scopes, key_hash, key_prefix, moodle_token_enc, moodle_user_id, moodle_username,
        moodle_user, client, grant_id, created_at, last_used_at, expires_at, revoked_at, moodle_token_source)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
      [
        c.id, c.kind, c.name ?? null, c.profile, c.scopes, c.keyHash ?? null, c.keyPrefix ?? null, c.moodleTokenEnc,
        c.moodleUser?.id ?? null, c.moodleUser?.username ?? null, c.moodleUser ? JSON.stringify(c.moodleUser) : null,
        c.client ? JSON.stringify(c.client) : null, c.grantId ?? null, c.createdAt, c.lastUsedAt ?? null, c.expiresAt ?? null, c.revokedAt ?? null,
        c.moodleTokenSource ?? null,
      ],
    );
  }

  private async one(where: string, value: unknown): Promise<ConnectionRecord | null> {
    const { rows } = await this.q<ConnectionRow>(`SELECT * FROM connections WHERE ${where} = $1`, [value]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  getConnection(id: string) {
    return this.one('id', id);
  }

  findConnectionByKeyHash(keyHash: string) {
    return this.one('key_hash', keyHash);
  }

  findConnectionByGrantId(grantId: string) {
    return this.one('grant_id', grantId);
  }

  async listConnections(options: ListConnectionsOptions = {}): Promise<ConnectionRecord[]> {
    const { rows } = await this.q<ConnectionRow>(
      `SELECT * FROM connections WHERE ($1 OR revoked_at IS NULL) AND ($2::text IS NULL OR kind = $2) AND ($3::integer IS NULL OR moodle_user_id = $3)
       ORDER BY created_at, id`,
      [!!options.includeRevoked, options.kind ?? null, options.moodleUserId ?? null],
    );
    return rows.map(toRecord);
  }

  async updateConnection(id: string, patch: Parameters<AuthStore['updateConnection']>[1]): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (col: string, v: unknown) => {
      params.push(v);
      sets.push(`${col} = $${params.length}`);
    };
    if (patch.scopes) set('scopes', patch.scopes);
    if ('expiresAt' in patch) set('expires_at', patch.expiresAt ?? null);
    if ('moodleTokenEnc' in patch) set('moodle_token_enc', patch.moodleTokenEnc ?? null);
    if ('grantId' in patch) set('grant_id', patch.grantId ?? null);
    if (patch.moodleUser) {
      set('moodle_user', JSON.stringify(patch.moodleUser));
      set('moodle_user_id', patch.moodleUser.id);
      set('moodle_username', patch.moodleUser.username);
    }
    if (sets.length === 0) return;
    const { rowCount } = await this.q(`UPDATE connections SET ${sets.join(', ')} WHERE id = $1`, params);
    if (!rowCount) throw new AuthError('not_found', `no connection ${id}`);
  }

  async revokeConnection(id: string, at = new Date()): Promise<ConnectionRecord | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<ConnectionRow>('SELECT * FROM connections WHERE id = $1 AND revoked_at IS NULL FOR UPDATE', [id]);
      if (!rows[0]) {
        await client.query('ROLLBACK');
        return null;
      }
      await client.query('UPDATE connections SET revoked_at = $2, moodle_token_enc = NULL WHERE id = $1', [id, at]);
      if (rows[0].grant_id) await client.query(`DELETE FROM oidc_records WHERE grant_id = $1 OR (model = 'Grant' AND id = $1)`, [rows[0].grant_id]);
      await client.query('COMMIT');
      return toRecord(rows[0]);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new AuthError('store', `revoke failed: ${(err as Error).message}`, { cause: err });
    } finally {
      client.release();
    }
  }

  async touchConnection(id: string, at = new Date()): Promise<void> {
    await this.q('UPDATE connections SET last_used_at = $2 WHERE id = $1', [id, at]);
  }

  async deleteExpired(now = new Date(), keepRevokedMs = 0): Promise<number> {
    const a = await this.q('DELETE FROM oidc_records WHERE expires_at <= $1', [now]);
    const gone = await this.q<{ grant_id: string | null }>(
      'DELETE FROM connections WHERE expires_at <= $1 OR revoked_at <= $2 RETURNING grant_id',
      [now, new Date(now.getTime() - keepRevokedMs)],
    );
    const grants = gone.rows.map((r) => r.grant_id).filter((g): g is string => !!g);
    const b = grants.length ? await this.q(`DELETE FROM oidc_records WHERE grant_id = ANY($1) OR (model = 'Grant' AND id = ANY($1))`, [grants]) : { rowCount: 0 };
    return (a.rowCount ?? 0) + (gone.rowCount ?? 0) + (b.rowCount ?? 0);
  }

  // ---- oidc-provider adapter storage -----------------------------------------------------------

  async oidcUpsert(model: string, id: string, r: OidcRecord): Promise<void> {
    const accountId = typeof r.payload.accountId === 'string' ? r.payload.accountId : null;
    await this.q(
      `INSERT INTO oidc_records (model, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, user_code = EXCLUDED.user_code,
         uid = EXCLUDED.uid, account_id = EXCLUDED.account_id, expires_at = EXCLUDED.expires_at, consumed = EXCLUDED.consumed`,
      [model, id, JSON.stringify(r.payload), r.grantId ?? null, r.userCode ?? null, r.uid ?? null, accountId,
        r.expiresAt ? new Date(r.expiresAt) : null, !!r.consumed],
    );
  }

  async oidcInsertIfAbsent(model: string, id: string, r: OidcRecord): Promise<OidcRecord> {
    await this.q('DELETE FROM oidc_records WHERE model = $1 AND id = $2 AND expires_at <= now()', [model, id]);
    await this.q(
      `INSERT INTO oidc_records (model, id, payload, grant_id, user_code, uid, expires_at, consumed) VALUES ($1,$2,$3,$4,$5,$6,$7,false)
       ON CONFLICT (model, id) DO NOTHING`,
      [model, id, JSON.stringify(r.payload), r.grantId ?? null, r.userCode ?? null, r.uid ?? null, r.expiresAt ? new Date(r.expiresAt) : null],
    );
    const stored = await this.oidcFind(model, id);
    if (!stored) throw new AuthError('store', `${model} ${id} vanished right after insertion`);
    return stored;
  }

  private async oidcOne(model: string, col: string, value: string): Promise<OidcRecord | null> {
    const { rows } = await this.q<Parameters<typeof toOidc>[0]>(
      `SELECT payload, grant_id, user_code, uid, expires_at, consumed FROM oidc_records WHERE model = $1 AND ${col} = $2 AND ${LIVE} LIMIT 1`,
      [model, value],
    );
    return rows[0] ? toOidc(rows[0]) : null;
  }

  oidcFind(model: string, id: string) {
    return this.oidcOne(model, 'id', id);
  }

  oidcFindByUid(model: string, uid: string) {
    return this.oidcOne(model, 'uid', uid);
  }

  oidcFindByUserCode(model: string, userCode: string) {
    return this.oidcOne(model, 'user_code', userCode);
  }

  async oidcConsume(model: string, id: string): Promise<void> {
    await this.q('UPDATE oidc_records SET consumed = true WHERE model = $1 AND id = $2', [model, id]);
  }

  async oidcDestroy(model: string, id: string): Promise<void> {
    await this.q('DELETE FROM oidc_records WHERE model = $1 AND id = $2', [model, id]);
  }

  async oidcRevokeByGrantId(grantId: string): Promise<void> {
    await this.q(`DELETE FROM oidc_records WHERE grant_id = $1 OR (model = 'Grant' AND id = $1)`, [grantId]);
  }

  // ---- privacy -----------------------------------------------------------------------------------

  async exportUser(user: PrivacyUser): Promise<UserExport> {
    assertUser(user);
    const { rows } = await this.q<ConnectionRow>(
      'SELECT * FROM connections WHERE moodle_user_id = $1 OR moodle_username = $2 ORDER BY created_at, id',
      [user.id ?? null, user.username ?? null],
    );
    return { connections: rows.map(toRecord).map(publicConnection) };
  }

  async eraseUser(user: PrivacyUser): Promise<number> {
    assertUser(user);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const gone = await client.query<{ grant_id: string | null }>(
        'DELETE FROM connections WHERE moodle_user_id = $1 OR moodle_username = $2 RETURNING grant_id',
        [user.id ?? null, user.username ?? null],
      );
      const grants = gone.rows.map((r) => r.grant_id).filter((g): g is string => !!g);
      const a = grants.length
        ? await client.query(`DELETE FROM oidc_records WHERE grant_id = ANY($1) OR (model = 'Grant' AND id = ANY($1))`, [grants])
        : { rowCount: 0 };
      const b = user.id !== undefined ? await client.query('DELETE FROM oidc_records WHERE account_id = $1', [String(user.id)]) : { rowCount: 0 };
      await client.query('COMMIT');
      return (gone.rowCount ?? 0) + (a.rowCount ?? 0) + (b.rowCount ?? 0);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new AuthError('store', `erase failed: ${(err as Error).message}`, { cause: err });
    } finally {
      client.release();
    }
  }
}
