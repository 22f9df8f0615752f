/**
 * The provider's storage: every model in memory, and the grants and refresh tokens also in a file
 * (0600) so that a CLI's login survives a restart of the provider (`beamline down`/`up`). Sessions,
 * interactions and codes stay in memory: they live minutes and a browser can log in again.
 */
import { readFileSync } from 'node:fs';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { writeFileAtomic } from './config.ts';

interface Entry {
  readonly model: string;
  payload: AdapterPayload;
  /** Milliseconds since the epoch; undefined: no expiry. */
  readonly expiresAt?: number;
}

/** Models written to the file. */
const PERSISTED = new Set(['Grant', 'RefreshToken']);
const PRUNE_EVERY = 200;

/** An oidc-provider adapter factory over one store, persisted to `path`. */
export function fileAdapter(path: string): AdapterFactory {
  const entries = new Map<string, Entry>();
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Entry>;
    for (const [key, entry] of Object.entries(saved)) entries.set(key, entry);
  } catch {
    // No file yet (first start) or an unreadable one: start empty, as the memory adapter would.
  }
  let writes = 0;
  const expired = (entry: Entry): boolean => entry.expiresAt !== undefined && entry.expiresAt <= Date.now();
  const prune = (): void => {
    for (const [key, entry] of entries) if (expired(entry)) entries.delete(key);
  };
  const persist = (): void => {
    const kept: Record<string, Entry> = {};
    for (const [key, entry] of entries) if (PERSISTED.has(entry.model) && !expired(entry)) kept[key] = entry;
    writeFileAtomic(path, JSON.stringify(kept), 0o600);
  };
  const changed = (model: string): void => {
    writes += 1;
    if (writes % PRUNE_EVERY === 0) prune();
    if (PERSISTED.has(model)) persist();
  };
  const findBy = (model: string, field: 'uid' | 'userCode', value: string): AdapterPayload | undefined => {
    for (const entry of entries.values()) {
      if (entry.model === model && !expired(entry) && entry.payload[field] === value) return entry.payload;
    }
    return undefined;
  };

  return (model: string): Adapter => {
    const key = (id: string): string => `${model}:${id}`;
    return {
      upsert(id, payload, expiresIn) {
        entries.set(key(id), { model, payload, ...(expiresIn === undefined ? {} : { expiresAt: Date.now() + expiresIn * 1000 }) });
        changed(model);
        return Promise.resolve();
      },
      find(id) {
        const entry = entries.get(key(id));
        if (entry === undefined || expired(entry)) return Promise.resolve(undefined);
        return Promise.resolve(entry.payload);
      },
      findByUid: (uid) => Promise.resolve(findBy(model, 'uid', uid)),
      findByUserCode: (userCode) => Promise.resolve(findBy(model, 'userCode', userCode)),
      consume(id) {
        const entry = entries.get(key(id));
        if (entry !== undefined) {
          entry.payload = { ...entry.payload, consumed: Math.floor(Date.now() / 1000) };
          changed(model);
        }
        return Promise.resolve();
      },
      destroy(id) {
        entries.delete(key(id));
        changed(model);
        return Promise.resolve();
      },
      revokeByGrantId(grantId) {
        // Every token of the grant, whatever its model: a reused refresh token revokes them all.
        for (const [entryKey, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(entryKey);
        persist();
        return Promise.resolve();
      },
    };
  };
}
