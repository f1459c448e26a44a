import type { MoodleUser, Scope } from '../types.ts';

/** A stored connection: an API key or an OAuth grant. The Moodle token is only held encrypted. */
export interface ConnectionRecord {
  id: string;
  kind: 'apikey' | 'oauth';
  /** Human label (keys create --name, or the OAuth client's name). */
  name?: string;
  profile: string;
  scopes: Scope[];
  /** Hex SHA-256 of the API key (kind apikey). */
  keyHash?: string;
  /** Display prefix of the API key, e.g. `mmcp_AbCd1234` (never enough to authenticate). */
  keyPrefix?: string;
  /** AES-256-GCM sealed Moodle token (see crypto.ts), bound to `id`; null once revoked. */
  moodleTokenEnc: string | null;
  /**
   * Where the Moodle token came from: `plugin` (a token of its own for this connection, issued by local_moodlemcp's
   * connect flow: revoking the connection deletes it in Moodle), `password` (login/token.php, shared by the person's
   * connections) or `pasted`. Absent on records older than this field (treated as not the plugin's).
   */
  moodleTokenSource?: 'plugin' | 'password' | 'pasted';
  moodleUser?: MoodleUser;
  client?: { id: string; name?: string; redirectUri?: string };
  /** oidc-provider grant id (kind oauth). */
  grantId?: string;
  createdAt: string;
  lastUsedAt?: string;
  expiresAt?: string;
  revokedAt?: string;
}

/** One oidc-provider model instance (Session, Grant, AccessToken, RefreshToken, AuthorizationCode, Client, Interaction, ...). */
export interface OidcRecord {
  payload: Record<string, unknown>;
  grantId?: string;
  userCode?: string;
  uid?: string;
  /** Epoch milliseconds; undefined = no expiry. */
  expiresAt?: number;
  consumed?: boolean;
}

export interface ListConnectionsOptions {
  includeRevoked?: boolean;
  moodleUserId?: number;
  kind?: ConnectionRecord['kind'];
}

/** A person, by Moodle user id and/or username (the audit engineer's PrivacyStore input). */
export interface PrivacyUser {
  id?: number;
  username?: string;
}

/** What the store holds about one person (GDPR export). Encrypted tokens and key hashes are never exported. */
export interface UserExport {
  connections: Omit<ConnectionRecord, 'moodleTokenEnc' | 'keyHash'>[];
}

/**
 * Persistence of connections, API keys, OAuth state (oidc-provider adapter storage) and per-user privacy operations.
 * Implementations: FileStore (embedded default, a JSON file in a data directory) and PostgresStore; same schema version.
 */
export interface AuthStore {
  /** Creates or upgrades the schema; call once before use. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  createConnection(record: ConnectionRecord): Promise<void>;
  getConnection(id: string): Promise<ConnectionRecord | null>;
  findConnectionByKeyHash(keyHash: string): Promise<ConnectionRecord | null>;
  findConnectionByGrantId(grantId: string): Promise<ConnectionRecord | null>;
  listConnections(options?: ListConnectionsOptions): Promise<ConnectionRecord[]>;
  /** Updates scopes/expiry/token of an existing connection (OAuth re-consent). */
  updateConnection(id: string, patch: Partial<Pick<ConnectionRecord, 'scopes' | 'expiresAt' | 'moodleTokenEnc' | 'moodleUser' | 'grantId'>>): Promise<void>;
  /**
   * Marks a connection revoked, deletes its encrypted Moodle token and every OAuth artefact of its grant.
   * Returns the record as it was before revocation, or null if unknown or already revoked.
   */
  revokeConnection(id: string, at?: Date): Promise<ConnectionRecord | null>;
  touchConnection(id: string, at?: Date): Promise<void>;
  /** Deletes expired OAuth artefacts and connections expired or revoked before `now - keepRevokedMs`. Returns rows deleted. */
  deleteExpired(now?: Date, keepRevokedMs?: number): Promise<number>;

  oidcUpsert(model: string, id: string, record: OidcRecord): Promise<void>;
  /** Stores the record unless one exists (first writer wins across replicas); returns the stored one. */
  oidcInsertIfAbsent(model: string, id: string, record: OidcRecord): Promise<OidcRecord>;
  oidcFind(model: string, id: string): Promise<OidcRecord | null>;
  oidcFindByUid(model: string, uid: string): Promise<OidcRecord | null>;
  oidcFindByUserCode(model: string, userCode: string): Promise<OidcRecord | null>;
  oidcConsume(model: string, id: string): Promise<void>;
  oidcDestroy(model: string, id: string): Promise<void>;
  oidcRevokeByGrantId(grantId: string): Promise<void>;

  exportUser(user: PrivacyUser): Promise<UserExport>;
  /** Revokes and deletes everything about the person; returns the number of records deleted. */
  eraseUser(user: PrivacyUser): Promise<number>;
}

/** Schema version both implementations reach through their migrations. */
export const SCHEMA_VERSION = 2;
