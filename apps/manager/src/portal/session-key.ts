import { randomBytes } from 'node:crypto';
import { isConflict, type KubeClient, type KubeObject, type ResourceType } from '@beamline/kube';
import { SEAL_KEY_BYTES } from './seal.ts';

/** The Secret holding the portal's session key (in the manager's namespace). */
export const SESSION_KEY_SECRET = 'beamline-portal-session';
const KEY_FIELD = 'key';
const SECRETS: ResourceType = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };

interface Secret extends KubeObject {
  data?: Record<string, string>;
  type?: string;
}

/**
 * The session key: read from the Secret `<namespace>/beamline-portal-session`, or created there
 * (32 random bytes) when it does not exist yet, so sessions outlive a manager restart and every
 * replica seals with the same key. Two managers creating it at once: the loser reads the winner's.
 */
export async function loadOrCreateSessionKey(client: KubeClient, namespace: string): Promise<Buffer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await client.get<Secret>(SECRETS, SESSION_KEY_SECRET, namespace);
    const encoded = existing?.data?.[KEY_FIELD];
    if (encoded !== undefined) {
      const key = Buffer.from(encoded, 'base64');
      if (key.length !== SEAL_KEY_BYTES) throw new Error(`failed to read the portal session key: ${namespace}/${SESSION_KEY_SECRET} key ${KEY_FIELD} is not ${SEAL_KEY_BYTES} bytes; delete the Secret to have a new one made (every session ends)`);
      return key;
    }
    if (existing !== undefined) throw new Error(`failed to read the portal session key: ${namespace}/${SESSION_KEY_SECRET} has no key ${KEY_FIELD}; delete the Secret to have a new one made`);
    try {
      await client.create<Secret>(SECRETS, {
        metadata: { name: SESSION_KEY_SECRET, namespace, labels: { 'app.kubernetes.io/part-of': 'beamline' } },
        type: 'Opaque',
        data: { [KEY_FIELD]: randomBytes(SEAL_KEY_BYTES).toString('base64') },
      });
    } catch (error) {
      if (!isConflict(error)) throw new Error(`failed to create the portal session key ${namespace}/${SESSION_KEY_SECRET}: ${(error as Error).message}`, { cause: error });
    }
  }
  throw new Error(`failed to read the portal session key ${namespace}/${SESSION_KEY_SECRET}: it was created but cannot be read back`);
}
