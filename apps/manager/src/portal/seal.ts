import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The length of a sealing key: AES-256. */
export const SEAL_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

/**
 * Seals `payload` (JSON) with AES-256-GCM under `key`: `v1.<base64url(iv | ciphertext | tag)>`.
 * `purpose` is the additional authenticated data, so a value sealed for one cookie (the login
 * state) cannot be replayed as another (the session): decryption with another purpose fails.
 */
export function seal(key: Buffer, purpose: string, payload: unknown): string {
  if (key.length !== SEAL_KEY_BYTES) throw new Error(`failed to seal: the key must be ${SEAL_KEY_BYTES} bytes`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(purpose, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url')}`;
}

/**
 * The payload of a value {@link seal} made with the same key and purpose, or `undefined` when it
 * is not one: malformed, sealed under another key or purpose, or altered in any bit (GCM's tag).
 * Never throws on hostile input: the caller answers 401 either way.
 */
export function unseal(key: Buffer, purpose: string, sealed: string): unknown {
  if (!sealed.startsWith(`${VERSION}.`) || sealed.length > 8192) return undefined;
  const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES + 1) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
