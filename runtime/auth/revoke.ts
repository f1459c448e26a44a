import type { AuditRecord } from '../audit/types.ts';
import { decryptSecret, encryptSecret, type Keyring } from './crypto.ts';
import type { AuthStore, ConnectionRecord } from './store/types.ts';

/** Deletes a token the local_moodlemcp plugin issued (MoodleConnect.revoke fits): true deleted, false unknown there. */
export type RevokeInMoodle = (token: string) => Promise<boolean>;

/** What revoking a connection did in Moodle. */
export type MoodleRevocation = 'revoked' | 'unknown' | 'failed' | 'not-plugin';

export interface RevokeDeps {
  store: AuthStore;
  keyring: Keyring;
  /** Absent when the gateway has no Moodle plugin client (a plugin-issued token is then queued for a later start). */
  revokeInMoodle?: RevokeInMoodle;
  audit: (record: Omit<AuditRecord, 'timestamp'>) => void;
}

// Plugin tokens whose deletion in Moodle failed: retried by retryMoodleRevocations (at start). One record, a list.
const PENDING_MODEL = 'MoodleRevocation';
const PENDING_ID = 'pending';

interface PendingRevocation {
  connectionId: string;
  sealed: string;
}

const who = (r: ConnectionRecord) => ({
  connection_id: r.id, client_id: r.client?.id, client_name: r.client?.name, moodle_user_id: r.moodleUser?.id, moodle_username: r.moodleUser?.username,
});

/**
 * Revokes connection `id` in the gateway (the store's revokeConnection, audited as `auth.token.revoked` or
 * `auth.key.revoked` with `detail`) and, when its Moodle token is one the plugin issued for it, in Moodle too
 * (revoke.php), audited as `auth.moodle_token.revoked`: `allowed` when deleted or already gone, `error` when Moodle
 * could not be asked; then the token is kept sealed in a retry list and deleted at the next start.
 * Returns the record as it was (null when unknown or already revoked) and what happened in Moodle.
 */
export async function revokeConnection(
  deps: RevokeDeps,
  id: string,
  o: { detail: string; clientIp?: string; /** Moodle already deleted the token (it answered invalidtoken): not asked again. */ moodleGone?: boolean },
): Promise<{ before: ConnectionRecord | null; moodle?: MoodleRevocation }> {
  const before = await deps.store.revokeConnection(id);
  if (!before) return { before };
  deps.audit({ event: before.kind === 'apikey' ? 'auth.key.revoked' : 'auth.token.revoked', ...who(before), auth_method: before.kind, client_ip: o.clientIp, status: 200, detail: o.detail });
  if (o.moodleGone) return { before, moodle: 'unknown' };
  return { before, moodle: await revokeMoodleToken(deps, before, o.detail) };
}

/** The Moodle half of {@link revokeConnection}, for a record the store already revoked (`before` still holds the sealed token). */
export async function revokeMoodleToken(deps: RevokeDeps, before: ConnectionRecord, detail: string): Promise<MoodleRevocation> {
  if (before.moodleTokenSource !== 'plugin' || !before.moodleTokenEnc) return 'not-plugin';
  const token = decryptSecret(deps.keyring, before.moodleTokenEnc, before.id);
  const outcome = await askMoodle(deps, token);
  if (outcome === 'failed') await queue(deps, { connectionId: before.id, sealed: encryptSecret(deps.keyring, token, `revoke:${before.id}`) });
  auditMoodle(deps, before, outcome, detail);
  return outcome;
}

async function askMoodle(deps: RevokeDeps, token: string): Promise<'revoked' | 'unknown' | 'failed'> {
  if (!deps.revokeInMoodle) return 'failed';
  try {
    return (await deps.revokeInMoodle(token)) ? 'revoked' : 'unknown';
  } catch {
    return 'failed';
  }
}

function auditMoodle(deps: RevokeDeps, r: ConnectionRecord, outcome: 'revoked' | 'unknown' | 'failed', detail: string) {
  const reasons =
    outcome === 'revoked' ? ['the Moodle token of this connection was deleted in Moodle']
      : outcome === 'unknown' ? ['Moodle no longer knew the token (already deleted there)']
        : ['Moodle could not be asked to delete the token (revoke.php failed): retried at the next start of the gateway'];
  deps.audit({
    event: 'auth.moodle_token.revoked', ...who(r), auth_method: r.kind, decision: outcome === 'failed' ? 'error' : 'allowed',
    status: outcome === 'failed' ? 502 : 200, reasons, detail,
  });
}

// The retry list is one record: its read-modify-writes run one at a time per store (in this process), so concurrent
// failures and a retry at start do not overwrite each other's items.
const queueUpdates = new WeakMap<AuthStore, Promise<void>>();

function updateQueue(store: AuthStore, change: (items: PendingRevocation[]) => PendingRevocation[]): Promise<void> {
  const next = (queueUpdates.get(store) ?? Promise.resolve()).catch(() => {}).then(async () => {
    await store.oidcUpsert(PENDING_MODEL, PENDING_ID, { payload: { items: change(await queuedItems(store)) } });
  });
  queueUpdates.set(store, next);
  return next;
}

async function queuedItems(store: AuthStore): Promise<PendingRevocation[]> {
  const found = await store.oidcFind(PENDING_MODEL, PENDING_ID);
  return (found?.payload.items as PendingRevocation[] | undefined) ?? [];
}

const queue = (deps: RevokeDeps, item: PendingRevocation) =>
  updateQueue(deps.store, (items) => [...items.filter((p) => p.connectionId !== item.connectionId), item]);

/** Connection ids whose Moodle token still waits to be deleted in Moodle. */
export async function pendingMoodleRevocations(store: AuthStore): Promise<string[]> {
  return (await queuedItems(store)).map((p) => p.connectionId);
}

/**
 * Asks Moodle again to delete the plugin tokens whose revocation failed (each outcome audited); those that fail again
 * stay queued. Returns how many are still waiting.
 */
export async function retryMoodleRevocations(deps: RevokeDeps): Promise<number> {
  const items = await queuedItems(deps.store);
  if (!items.length) return 0;
  // Done: deleted in Moodle, unknown there, or sealed with a key no longer in the key ring (nothing the gateway can do).
  const done = new Set<string>();
  for (const item of items) {
    let token: string;
    try {
      token = decryptSecret(deps.keyring, item.sealed, `revoke:${item.connectionId}`);
    } catch {
      done.add(item.sealed);
      continue;
    }
    const outcome = await askMoodle(deps, token);
    const record = (await deps.store.getConnection(item.connectionId)) ?? ({ id: item.connectionId, kind: 'oauth' } as ConnectionRecord);
    auditMoodle(deps, record, outcome, 'retry at start');
    if (outcome !== 'failed') done.add(item.sealed);
  }
  // Items queued while this ran stay.
  await updateQueue(deps.store, (current) => current.filter((p) => !done.has(p.sealed)));
  return (await queuedItems(deps.store)).length;
}
