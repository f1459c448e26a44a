import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { AuthStore } from '../store/types.ts';

/**
 * oidc-provider storage over the AuthStore (models: Session, Grant, AccessToken, RefreshToken, Client, Interaction, ...).
 * `onGrantRevoked` runs when oidc-provider revokes a grant's tokens, to revoke the bound connection too.
 */
export function storeAdapter(store: AuthStore, onGrantRevoked?: (grantId: string) => Promise<void>): new (model: string) => Adapter {
  return class StoreAdapter implements Adapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await store.oidcUpsert(this.model, id, {
        payload: payload as Record<string, unknown>,
        grantId: payload.grantId,
        userCode: payload.userCode,
        uid: payload.uid,
        expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return unpack(await store.oidcFind(this.model, id));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return unpack(await store.oidcFindByUserCode(this.model, userCode));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return unpack(await store.oidcFindByUid(this.model, uid));
    }

    async consume(id: string): Promise<void> {
      await store.oidcConsume(this.model, id);
    }

    async destroy(id: string): Promise<void> {
      await store.oidcDestroy(this.model, id);
    }

    /** oidc-provider revokes a grant's tokens (revocation, refresh-token or code reuse): the connection goes with them. */
    async revokeByGrantId(grantId: string): Promise<void> {
      await store.oidcRevokeByGrantId(grantId);
      await onGrantRevoked?.(grantId);
    }
  };
}

function unpack(record: Awaited<ReturnType<AuthStore['oidcFind']>>): AdapterPayload | undefined {
  if (!record) return undefined;
  const payload = { ...record.payload } as AdapterPayload;
  if (record.consumed) payload.consumed = Math.floor(Date.now() / 1000);
  return payload;
}
