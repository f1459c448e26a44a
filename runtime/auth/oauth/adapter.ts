import { createHash } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { AuthStore } from '../store/types.ts';

/** Models whose id is the bearer secret itself: stored under its SHA-256 and without `jti`, so a store dump yields no usable token. */
const SECRET_ID_MODELS = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode', 'ClientCredentials', 'RegistrationAccessToken']);

/** The key a model instance is stored under (a hash for token models). */
export function storageId(model: string, id: string): string {
  return SECRET_ID_MODELS.has(model) ? `sha256:${createHash('sha256').update(id).digest('hex')}` : id;
}

/**
 * oidc-provider storage over the AuthStore (models: Session, Grant, AccessToken, RefreshToken, Client, Interaction, ...).
 * `onGrantRevoked` runs when oidc-provider revokes a grant's tokens, to revoke the bound connection too;
 * `onRefreshTokenRotated` when a rotated refresh token is saved (a refresh).
 */
export function storeAdapter(
  store: AuthStore,
  hooks: { onGrantRevoked?: (grantId: string) => Promise<void>; onRefreshTokenRotated?: (grantId: string) => Promise<void> } = {},
): new (model: string) => Adapter {
  // oidc-provider revokes a grant once per token model, concurrently: they share one revocation per grant id.
  const revoking = new Map<string, Promise<void>>();
  const revoke = async (grantId: string) => {
    await store.oidcRevokeByGrantId(grantId);
    await hooks.onGrantRevoked?.(grantId);
  };
  return class StoreAdapter implements Adapter {
    private readonly secret: boolean;
    constructor(readonly model: string) {
      this.secret = SECRET_ID_MODELS.has(model);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const stored = { ...payload } as Record<string, unknown>;
      if (this.secret) delete stored.jti;
      await store.oidcUpsert(this.model, storageId(this.model, id), {
        payload: stored,
        grantId: payload.grantId,
        userCode: payload.userCode,
        uid: payload.uid,
        expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
      });
      if (this.model === 'RefreshToken' && typeof payload.rotations === 'number' && payload.rotations > 0 && !payload.consumed && payload.grantId)
        await hooks.onRefreshTokenRotated?.(payload.grantId);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const payload = unpack(await store.oidcFind(this.model, storageId(this.model, id)));
      if (payload && this.secret) payload.jti = id;
      return payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return unpack(await store.oidcFindByUserCode(this.model, userCode));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return unpack(await store.oidcFindByUid(this.model, uid));
    }

    async consume(id: string): Promise<void> {
      await store.oidcConsume(this.model, storageId(this.model, id));
    }

    async destroy(id: string): Promise<void> {
      await store.oidcDestroy(this.model, storageId(this.model, id));
    }

    /** oidc-provider revokes a grant's tokens (revocation, refresh-token or code reuse): the connection goes with them. */
    revokeByGrantId(grantId: string): Promise<void> {
      let running = revoking.get(grantId);
      if (!running) {
        running = revoke(grantId).finally(() => revoking.delete(grantId));
        revoking.set(grantId, running);
      }
      return running;
    }
  };
}

function unpack(record: Awaited<ReturnType<AuthStore['oidcFind']>>): AdapterPayload | undefined {
  if (!record) return undefined;
  const payload = { ...record.payload } as AdapterPayload;
  if (record.consumed) payload.consumed = Math.floor(Date.now() / 1000);
  return payload;
}
