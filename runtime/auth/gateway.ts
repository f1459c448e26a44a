import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AuditRecord } from '../audit/types.ts';
import type { GatewayConfig } from '../config/index.ts';
import { createAuthenticator } from './authenticate.ts';
import type { ChallengeOptions } from './challenge.ts';
import { keyringFromConfig, type Keyring } from './crypto.ts';
import { AuthError } from './errors.ts';
import { resolveConfigKeys, REVOKED_CONFIG_KEY, type ConfigConnection, type DemoOptions } from './bearer.ts';
import type { OAuth, OAuthMoodle } from './oauth/index.ts';
import { normaliseScopes } from './scopes.ts';
import { openStore, scheduleStoreCleanup } from './store/index.ts';
import type { AuthStore } from './store/types.ts';
import type { Connection, Scope } from './types.ts';
import type { SiteDirectory } from '../moodle/site-identity.ts';
import { createMoodleConnect } from '../moodle/connect.ts';
import type { FetchLike } from '../moodle/http.ts';
import { retryMoodleRevocations, type RevokeDeps } from './revoke.ts';
import { readFileSync } from 'node:fs';

/** The plugin's connectsecret: oauth.moodle_connect_secret_file, else the variable oauth.moodle_connect_secret_env. */
function connectSecret(config: GatewayConfig, env: NodeJS.ProcessEnv): string | undefined {
  const file = config.oauth.moodle_connect_secret_file;
  let secret: string | undefined;
  try {
    secret = file ? readFileSync(file, 'utf8').trim() : env[config.oauth.moodle_connect_secret_env]?.trim();
  } catch (error) {
    throw new AuthError('config', `oauth.moodle_connect_secret_file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (secret && secret.length < 32) throw new AuthError('config', `the plugin's connect secret (${file ? 'oauth.moodle_connect_secret_file' : config.oauth.moodle_connect_secret_env}) must have at least 32 characters, like the plugin's connectsecret`);
  return secret || undefined;
}

export interface GatewayAuthOptions {
  config: GatewayConfig;
  /** The URL clients use (server.public_url, or http://host:port). */
  publicUrl: string;
  /** True when the gateway runs against the simulator (no Moodle URL): enables `demo: auto` and a generated dev key. */
  simulated: boolean;
  /** Moodle for the OAuth sign-in (MoodleClient fits). Required when oauth.enabled. */
  moodle?: OAuthMoodle;
  /** Simulator tokens of the demo users (demo mode only). */
  demoTokens?: DemoOptions['tokens'];
  audit?: (record: AuditRecord) => void;
  env?: NodeJS.ProcessEnv;
  /** Injected store (tests); default: opened from config.store. */
  store?: AuthStore;
  /** The Moodle site's name and address for the pages. */
  site?: SiteDirectory;
  /** Operational log (the hourly store cleanup reports its failures here). */
  log?: Pick<Logger, 'error'>;
  /** The plugin's connect endpoints (Moodle sign-in, revocation of plugin-issued tokens); absent in simulator mode without one. */
  moodleConnect?: { url: string; fetch?: FetchLike };
}

export interface GatewayAuth {
  /** For /mcp: `(request, clientIp) → Connection`, or AuthError with status and wwwAuthenticate. */
  authenticate(request: Request, clientIp: string): Promise<Connection>;
  /** OAuth, discovery and sign-in routes; undefined when the path is not theirs or OAuth is off. */
  handle(request: Request, clientIp: string): Promise<Response | undefined>;
  oauth?: OAuth;
  /** What a 401's WWW-Authenticate names: the resource metadata (with OAuth) and the scope to ask for. */
  challenge: ChallengeOptions;
  store: AuthStore;
  keyring: Keyring;
  /** Config connections (`connections:`) as loaded: id, profile, scopes (their secrets stay inside). */
  configConnections: { id: string; profile: string; scopes: Scope[] }[];
  /** Which config connections are revoked (their current key refused). */
  revokedConfigConnections(): Promise<Set<string>>;
  /** Refuses the current key of config connection `id` from now on; false when unknown or already revoked. */
  revokeConfigConnection(id: string, at?: Date): Promise<boolean>;
  /** What revokeConnection (revoke.ts) needs: the store, the key ring, Moodle's revoke.php, the audit trail. */
  revoke: RevokeDeps;
  close(): Promise<void>;
}

/**
 * Everything auth for the gateway from its config: store, key ring, config keys, demo keys, OAuth, cleanup.
 * Fails closed at start: a missing encryption key (outside simulator mode), a missing config-key secret, or an
 * unknown profile stop the gateway with a message naming the setting.
 */
export async function createGatewayAuth(o: GatewayAuthOptions): Promise<GatewayAuth> {
  const { config } = o;
  const env = o.env ?? process.env;
  const keyring = keyringFromConfig(config, env, { devKeyFile: o.simulated ? join(config.store.dir, 'dev-encryption.key') : undefined });
  const store = o.store ?? (await openStore(config.store, env));
  const configKeys = resolveConfigKeys(config.connections as ConfigConnection[], config.profiles, env);
  const demoOn = config.demo.enabled === true || (config.demo.enabled === 'auto' && o.simulated);
  if (demoOn && !o.demoTokens) throw new AuthError('config', 'demo mode is on but no demo tokens were given (simulator only)');
  const demoProfile = config.profiles[config.demo.profile];
  if (demoOn && !demoProfile) throw new AuthError('config', `demo.profile: unknown profile "${config.demo.profile}"`);
  const demo: DemoOptions | undefined = demoOn
    ? { enabled: true, profile: config.demo.profile, scopes: normaliseScopes(demoProfile.scopes as Scope[]), tokens: o.demoTokens! }
    : undefined;

  const connect = o.moodleConnect && createMoodleConnect({ ...o.moodleConnect, secret: connectSecret(config, env) });
  if (config.oauth.enabled && config.oauth.moodle_signin === 'on' && !connect?.hasSecret)
    throw new AuthError('config', `oauth.moodle_signin is on but the plugin's connect secret is missing: set ${config.oauth.moodle_connect_secret_env} (oauth.moodle_connect_secret_env) or oauth.moodle_connect_secret_file`);
  const audit = (rec: Omit<AuditRecord, 'timestamp'>) => o.audit?.({ timestamp: new Date().toISOString(), ...rec } as AuditRecord);
  const revoke: RevokeDeps = { store, keyring, revokeInMoodle: connect && ((token) => connect.revoke(token)), audit };
  // Plugin tokens whose deletion in Moodle failed earlier: asked again now (in the background, each outcome audited).
  void retryMoodleRevocations(revoke).catch((error) => o.log?.error({ error: error instanceof Error ? error.message : String(error) }, 'retrying Moodle token revocations failed'));

  let oauth: OAuth | undefined;
  if (config.oauth.enabled) {
    if (!o.moodle) throw new AuthError('config', 'oauth.enabled needs a Moodle client for the sign-in');
    // Loaded only when OAuth is on: oidc-provider is large and warns on Node versions it does not support.
    const { createOAuth } = await import('./oauth/index.ts');
    oauth = await createOAuth({
      issuer: o.publicUrl, store, keyring, moodle: o.moodle, service: config.moodle.service,
      profile: config.oauth.default_profile, profiles: config.profiles,
      accessTokenTtl: config.oauth.access_token_ttl_seconds, refreshTokenTtl: config.oauth.refresh_token_ttl_seconds,
      allowSiteAdmin: config.oauth.allow_site_admin, writeAllowed: config.mode === 'read-write', audit: o.audit, log: o.log, site: o.site,
      // Without the secret (auto) codes cannot be redeemed: Moodle sign-in is then not offered.
      moodleConnect: connect?.hasSecret ? { connect, mode: config.oauth.moodle_signin } : undefined,
      passwordSignIn: config.oauth.password_signin,
      clientMetadata: { allowPrivate: config.oauth.client_metadata.allow_private_addresses, fetchesPerMinute: config.oauth.client_metadata.fetches_per_minute },
    });
  }
  // Without OAuth no protected resource metadata is served, so the challenge does not point to any.
  const challenge = oauth ? { resourceMetadataUrl: oauth.resourceMetadataUrl, scope: oauth.scope } : { scope: 'api.read' };
  const authenticate = createAuthenticator({ store, keyring, configKeys, demo, oauth, challenge });
  const cleanup = scheduleStoreCleanup(store, {
    onError: (error) => o.log?.error({ error: error instanceof Error ? error.message : String(error) }, 'auth store cleanup failed'),
  });
  return {
    authenticate,
    handle: async (request, clientIp) => (oauth ? oauth.handle(request, clientIp) : undefined),
    oauth,
    challenge,
    store,
    keyring,
    revoke,
    configConnections: configKeys.map(({ id, profile, scopes }) => ({ id, profile, scopes })),
    async revokedConfigConnections() {
      const revoked = new Set<string>();
      for (const k of configKeys) if (await store.oidcFind(REVOKED_CONFIG_KEY, k.keyHash)) revoked.add(k.id);
      return revoked;
    },
    async revokeConfigConnection(id, at = new Date()) {
      const key = configKeys.find((k) => k.id === id);
      if (!key || (await store.oidcFind(REVOKED_CONFIG_KEY, key.keyHash))) return false;
      await store.oidcUpsert(REVOKED_CONFIG_KEY, key.keyHash, { payload: { id, revokedAt: at.toISOString() } });
      return true;
    },
    close: async () => {
      cleanup.stop();
      if (!o.store) await store.close();
    },
  };
}
