import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { decryptSecret, encryptSecret, type Keyring } from '../crypto.ts';
import { ALL_SCOPES } from '../scopes.ts';
import type { AuthStore } from '../store/types.ts';
import { storeAdapter } from './adapter.ts';
import { cookieNames, derivedKey } from './cookies.ts';
import { redirectUriProblem } from './redirect-uris.ts';
import { escapeHtml, layout, pageHeaders } from './pages.ts';
import { localeFromAcceptLanguage } from '../../i18n/locales.ts';
import { translator } from '../../i18n/translate.ts';

/** Endpoints of the authorization server, all under /oauth (discovery stays at /.well-known/). */
export const ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  registration: '/oauth/register',
  revocation: '/oauth/revoke',
  jwks: '/oauth/jwks',
  end_session: '/oauth/logout',
  introspection: '/oauth/introspect',
  userinfo: '/oauth/userinfo',
  pushed_authorization_request: '/oauth/par',
  code_verification: '/oauth/device',
  device_authorization: '/oauth/device/auth',
  backchannel_authentication: '/oauth/backchannel',
  challenge: '/oauth/challenge',
  credential: '/oauth/credential',
} as const;

export interface ProviderOptions {
  issuer: string;
  /** Resource identifiers this gateway accepts as token audience; the first is the default (`<base>/mcp`). */
  resources: string[];
  store: AuthStore;
  keyring: Keyring;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  /** Secure cookies with __Host-/__Secure- names (https issuer); plain names on http loopback development. */
  secureCookies: boolean;
  /** Outgoing HTTP for Client ID Metadata Documents (metadata-fetch.ts: public addresses only, pinned, bounded). */
  fetch: typeof fetch;
  /** Asked before every metadata document fetch (address checks, rate limit); false refuses the client_id. */
  allowMetadataFetch: (clientId: string) => Promise<boolean>;
  /** Called with a grant id whenever oidc-provider revokes a grant (revocation, refresh-token or code reuse). */
  onGrantRevoked: (grantId: string) => Promise<void>;
  /** Called when a refresh token is rotated (a refresh happened), before the token response is sent. */
  onRefreshTokenRotated?: (grantId: string) => Promise<void>;
}

export { cookieNames, derivedKey } from './cookies.ts';

/** The token signing key (ES256), created once and kept sealed in the store so every replica signs alike. */
async function signingKey(store: AuthStore, keyring: Keyring): Promise<JsonWebKey> {
  const found = await store.oidcFind('SigningKey', 'current');
  if (found && typeof found.payload.sealed === 'string') return JSON.parse(decryptSecret(keyring, found.payload.sealed, 'signing-key'));
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const key = { ...jwk, kid: `es256-${Date.now().toString(36)}`, alg: 'ES256', use: 'sig' };
  const stored = await store.oidcInsertIfAbsent('SigningKey', 'current', { payload: { sealed: encryptSecret(keyring, JSON.stringify(key), 'signing-key') } });
  return JSON.parse(decryptSecret(keyring, stored.payload.sealed as string, 'signing-key'));
}

/** Builds the oidc-provider instance: authorization code + PKCE S256 only, DCR, resource indicators, rotation, revocation. */
export async function createProvider(o: ProviderOptions): Promise<Provider> {
  const names = cookieNames(o.secureCookies);
  const configuration: Configuration = {
    fetch: o.fetch as never,
    adapter: storeAdapter(o.store, { onGrantRevoked: o.onGrantRevoked, onRefreshTokenRotated: o.onRefreshTokenRotated }),
    jwks: { keys: [(await signingKey(o.store, o.keyring)) as never] },
    routes: ROUTES,
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access'],
    claims: { openid: ['sub'] },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    // Not a real property: its validator runs for every client (registered or from a metadata document) to vet redirect URIs.
    extraClientMetadata: {
      properties: ['mmcp_vetted'],
      validator: (_ctx, key, _value, metadata) => {
        if (key !== 'mmcp_vetted') return;
        for (const uri of (metadata.redirect_uris as unknown[] | undefined) ?? []) {
          const problem = redirectUriProblem(uri);
          if (problem) throw new errors.InvalidClientMetadata(`redirect_uris: ${problem}`);
        }
      },
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true, initialAccessToken: false },
      // A client may revoke only its own tokens.
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      clientIdMetadataDocument: { enabled: true, ack: 'draft-02', allowFetch: (_ctx: unknown, clientId: string) => o.allowMetadataFetch(clientId) } as never,
      resourceIndicators: {
        enabled: true,
        defaultResource: () => o.resources[0],
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (!o.resources.includes(resourceIndicator)) throw new errors.InvalidTarget(`unknown resource; this server is ${o.resources[0]}`);
          return { scope: ALL_SCOPES.join(' '), audience: resourceIndicator, accessTokenTTL: o.accessTokenTtl, accessTokenFormat: 'opaque' };
        },
      },
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    // Every authorization goes through sign-in and consent (a new grant each time). Moodle's login/token.php answers
    // the same token for a person and service every time, so a person's grants all hold one Moodle token.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId as string) : undefined;
    },
    ttl: {
      AccessToken: o.accessTokenTtl,
      AuthorizationCode: 60,
      RefreshToken: o.refreshTokenTtl,
      Grant: o.refreshTokenTtl,
      Interaction: 600,
      Session: 3600,
      IdToken: 3600,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: {
      keys: [derivedKey(o.keyring, 'cookies').toString('base64url')],
      names: { session: names.session, interaction: names.interaction, resume: names.resume },
      long: { httpOnly: true, sameSite: 'lax', secure: o.secureCookies },
      short: { httpOnly: true, sameSite: 'lax', secure: o.secureCookies },
    },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    clientBasedCORS: (_ctx, origin, client) => origin !== 'null' && client.redirectUris!.some((uri) => URL.parse(uri)?.origin === origin),
    renderError: async (ctx, out) => {
      pageHeaders().forEach((value, name) => ctx.set(name, value));
      const t = translator(localeFromAcceptLanguage(ctx.get('accept-language')));
      ctx.body = layout({ t }, t('signin.errorTitle'), `<p>${escapeHtml(out.error)}: ${escapeHtml(out.error_description ?? '')}</p>`);
    },
  };
  const provider = new Provider(o.issuer, configuration);
  provider.proxy = true;
  return provider;
}
