import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireFileLock, FileLockBusyError } from '../../shared/file-lock.ts';
import { AuthError } from '../errors.ts';
import { matchesUser, publicConnection } from './common.ts';
import {
  SCHEMA_VERSION,
  type AuthStore,
  type ConnectionRecord,
  type ListConnectionsOptions,
  type OidcRecord,
  type PrivacyUser,
  type UserExport,
} from './types.ts';

interface Document {
  schemaVersion: number;
  connections: Record<string, ConnectionRecord>;
  /** Keyed by `${model}:${id}`. */
  oidc: Record<string, OidcRecord & { model: string }>;
}

/** Upgrades a document one version at a time; index i upgrades from version i to i + 1. */
const MIGRATIONS: ((doc: Document) => void)[] = [
  (doc) => {
    doc.connections ??= {};
    doc.oidc ??= {};
  },
  // 2: connections may carry moodleTokenSource (optional; older records have none).
  () => undefined,
];

const STALE_LOCK_MS = 10_000;

/**
 * The embedded store: one JSON file (`auth-store.json`) in a data directory, mode 0600, replaced atomically
 * (write temporary file + rename) under a lock file, so the CLI and a running gateway can share it.
 * Suited to one gateway replica; use PostgresStore for several.
 */
export class FileStore implements AuthStore {
  readonly path: string;
  private readonly lockPath: string;
  private queue: Promise<unknown> = Promise.resolve();
  private cache: { mtimeMs: number; size: number; doc: Document } | null = null;

  constructor(readonly dir: string) {
    this.path = join(dir, 'auth-store.json');
    this.lockPath = `${this.path}.lock`;
  }

  async migrate(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.write(() => undefined);
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.cache = null;
  }

  // ---- document access -------------------------------------------------------------------------

  private async load(): Promise<Document> {
    let info;
    try {
      info = await stat(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { schemaVersion: 0, connections: {}, oidc: {} };
      throw new AuthError('store', `cannot read ${this.path}: ${(err as Error).message}`);
    }
    if (this.cache && this.cache.mtimeMs === info.mtimeMs && this.cache.size === info.size) return this.cache.doc;
    let doc: Document;
    try {
      doc = JSON.parse(await readFile(this.path, 'utf8')) as Document;
    } catch (err) {
      throw new AuthError('store', `${this.path} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof doc.schemaVersion !== 'number' || doc.schemaVersion > SCHEMA_VERSION)
      throw new AuthError('store', `${this.path} has schema version ${doc.schemaVersion}; this gateway knows up to ${SCHEMA_VERSION}`);
    this.cache = { mtimeMs: info.mtimeMs, size: info.size, doc };
    return doc;
  }

  private async read<T>(fn: (doc: Document) => T): Promise<T> {
    const doc = await this.load();
    if (doc.schemaVersion !== SCHEMA_VERSION) throw new AuthError('store', `${this.path} is not migrated: call migrate() first`);
    return structuredClone(fn(doc));
  }

  private async lock(): Promise<() => Promise<void>> {
    try {
      // Waits up to 10 s for another process, polling every 10 ms.
      const held = await acquireFileLock(this.lockPath, { staleMs: STALE_LOCK_MS, waitMs: 10_000, maxPollMs: 10 });
      return held.release;
    } catch (err) {
      if (err instanceof FileLockBusyError) throw new AuthError('store', `${this.lockPath} is held by another process`);
      throw new AuthError('store', `cannot lock ${this.lockPath}: ${(err as Error).message}`);
    }
  }

  /** Runs `fn` on a private copy of the document under the lock and persists it atomically. */
  private write<T>(fn: (doc: Document) => T): Promise<T> {
    const run = async () => {
      const unlock = await this.lock();
      try {
        const doc = structuredClone(await this.load());
        for (let v = doc.schemaVersion; v < SCHEMA_VERSION; v++) MIGRATIONS[v](doc);
        doc.schemaVersion = SCHEMA_VERSION;
        const result = fn(doc);
        pruneOidc(doc, Date.now());
        const tmp = `${this.path}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify(doc), { mode: 0o600 });
        await rename(tmp, this.path);
        this.cache = null;
        return structuredClone(result);
      } finally {
        await unlock();
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  // ---- connections -----------------------------------------------------------------------------

  createConnection(record: ConnectionRecord): Promise<void> {
    return this.write((doc) => {
      if (doc.connections[record.id]) throw new AuthError('store', `connection ${record.id} already exists`);
      if (record.keyHash && Object.values(doc.connections).some((c) => c.keyHash === record.keyHash))
        throw new AuthError('store', 'an API key with the same hash already exists');
      doc.connections[record.id] = structuredClone(record);
    });
  }

  getConnection(id: string) {
    return this.read((doc) => doc.connections[id] ?? null);
  }

  findConnectionByKeyHash(keyHash: string) {
    return this.read((doc) => Object.values(doc.connections).find((c) => c.keyHash === keyHash) ?? null);
  }

  findConnectionByGrantId(grantId: string) {
    return this.read((doc) => Object.values(doc.connections).find((c) => c.grantId === grantId) ?? null);
  }

  listConnections(options: ListConnectionsOptions = {}) {
    return this.read((doc) =>
      Object.values(doc.connections)
        .filter((c) => (options.includeRevoked || !c.revokedAt) && (options.kind === undefined || c.kind === options.kind))
        .filter((c) => options.moodleUserId === undefined || c.moodleUser?.id === options.moodleUserId)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)),
    );
  }

  updateConnection(id: string, patch: Parameters<AuthStore['updateConnection']>[1]): Promise<void> {
    return this.write((doc) => {
      const c = doc.connections[id];
      if (!c) throw new AuthError('not_found', `no connection ${id}`);
      Object.assign(c, structuredClone(patch));
    });
  }

  revokeConnection(id: string, at = new Date()) {
    return this.write((doc) => {
      const c = doc.connections[id];
      if (!c || c.revokedAt) return null;
      const before = structuredClone(c);
      c.revokedAt = at.toISOString();
      c.moodleTokenEnc = null;
      if (c.grantId) revokeGrant(doc, c.grantId);
      return before;
    });
  }

  touchConnection(id: string, at = new Date()): Promise<void> {
    return this.write((doc) => {
      const c = doc.connections[id];
      if (c) c.lastUsedAt = at.toISOString();
    });
  }

  deleteExpired(now = new Date(), keepRevokedMs = 0) {
    return this.write((doc) => {
      let n = Object.keys(doc.oidc).length;
      pruneOidc(doc, now.getTime());
      n -= Object.keys(doc.oidc).length;
      for (const [id, c] of Object.entries(doc.connections)) {
        const expired = c.expiresAt && Date.parse(c.expiresAt) <= now.getTime();
        const revokedLongAgo = c.revokedAt && Date.parse(c.revokedAt) <= now.getTime() - keepRevokedMs;
        if (expired || revokedLongAgo) {
          if (c.grantId) revokeGrant(doc, c.grantId);
          delete doc.connections[id];
          n++;
        }
      }
      return n;
    });
  }

  // ---- oidc-provider adapter storage -----------------------------------------------------------

  oidcUpsert(model: string, id: string, record: OidcRecord): Promise<void> {
    return this.write((doc) => {
      doc.oidc[`${model}:${id}`] = { ...structuredClone(record), model };
    });
  }

  oidcInsertIfAbsent(model: string, id: string, record: OidcRecord): Promise<OidcRecord> {
    return this.write((doc) => {
      const key = `${model}:${id}`;
      const existing = doc.oidc[key];
      if (!existing || (existing.expiresAt && existing.expiresAt <= Date.now())) doc.oidc[key] = { ...structuredClone(record), model };
      const { model: _m, ...stored } = doc.oidc[key];
      return stored as OidcRecord;
    });
  }

  private oidcGet(model: string, pick: (r: OidcRecord & { model: string }) => boolean) {
    const now = Date.now();
    return this.read((doc) => {
      const found = Object.values(doc.oidc).find((r) => r.model === model && pick(r) && !(r.expiresAt && r.expiresAt <= now));
      if (!found) return null;
      const { model: _m, ...record } = found;
      return record as OidcRecord;
    });
  }

  oidcFind(model: string, id: string) {
    const now = Date.now();
    return this.read((doc) => {
      const r = doc.oidc[`${model}:${id}`];
      if (!r || (r.expiresAt && r.expiresAt <= now)) return null;
      const { model: _m, ...record } = r;
      return record as OidcRecord;
    });
  }

  oidcFindByUid(model: string, uid: string) {
    return this.oidcGet(model, (r) => r.uid === uid);
  }

  oidcFindByUserCode(model: string, userCode: string) {
    return this.oidcGet(model, (r) => r.userCode === userCode);
  }

  oidcConsume(model: string, id: string): Promise<void> {
    return this.write((doc) => {
      const r = doc.oidc[`${model}:${id}`];
      if (r) r.consumed = true;
    });
  }

  oidcDestroy(model: string, id: string): Promise<void> {
    return this.write((doc) => {
      delete doc.oidc[`${model}:${id}`];
    });
  }

  oidcRevokeByGrantId(grantId: string): Promise<void> {
    return this.write((doc) => {
      revokeGrant(doc, grantId);
    });
  }

  // ---- privacy -----------------------------------------------------------------------------------

  exportUser(user: PrivacyUser): Promise<UserExport> {
    return this.read((doc) => ({
      connections: Object.values(doc.connections)
        .filter((c) => matchesUser(c, user))
        .map(publicConnection),
    }));
  }

  eraseUser(user: PrivacyUser): Promise<number> {
    return this.write((doc) => {
      let n = 0;
      for (const [id, c] of Object.entries(doc.connections)) {
        if (!matchesUser(c, user)) continue;
        if (c.grantId) n += revokeGrant(doc, c.grantId);
        delete doc.connections[id];
        n++;
      }
      // Sessions and grants carry the Moodle user id as accountId.
      for (const [key, r] of Object.entries(doc.oidc)) {
        if (user.id !== undefined && r.payload.accountId === String(user.id)) {
          delete doc.oidc[key];
          n++;
        }
      }
      return n;
    });
  }
}

function revokeGrant(doc: Document, grantId: string): number {
  let n = 0;
  for (const [key, r] of Object.entries(doc.oidc)) {
    if (r.grantId === grantId || (r.model === 'Grant' && key === `Grant:${grantId}`)) {
      delete doc.oidc[key];
      n++;
    }
  }
  return n;
}

function pruneOidc(doc: Document, now: number) {
  for (const [key, r] of Object.entries(doc.oidc)) if (r.expiresAt && r.expiresAt <= now) delete doc.oidc[key];
}
