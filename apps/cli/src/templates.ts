import type { KubeConfig } from '@kubernetes/client-node';
import { apiStatus, callApi } from './kube.ts';
import { CliError } from './output.ts';
import { KINDS, resourceClient, type BeamlineObject } from './resources.ts';

/** A ClusterTemplate by name; an unknown one lists those that exist. */
export async function getTemplate(config: KubeConfig, name: string): Promise<BeamlineObject> {
  const templates = resourceClient(config, KINDS.clusterTemplate);
  try {
    return await templates.get(name);
  } catch (error) {
    if (apiStatus(error) !== 404) return callApi(config, `get cluster template "${name}"`, () => Promise.reject(error as Error));
  }
  const names = (await callApi(config, 'list cluster templates', () => templates.list())).map((t) => t.metadata?.name ?? '').filter((n) => n !== '');
  throw new CliError(`cluster template "${name}": not found; ${names.length === 0 ? 'there are none (`beamline up` installs small, gpu and ha)' : `templates: ${names.sort().join(', ')}`}`);
}
