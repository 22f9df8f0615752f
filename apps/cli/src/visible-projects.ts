import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PROJECT } from '@beamline/api/names';
import { apiStatus, callApi } from './kube.ts';
import { resourceClient, type BeamlineObject, type ResourceKind } from './resources.ts';

/**
 * The Projects the user may see. A platform admin lists them; a project's member may not list
 * Projects (that would show every tenant and its members) but may `get` their own, which the
 * project controller grants by name. So on a 403 the names come from a SelfSubjectRulesReview (the
 * rules RBAC gives the user, cluster-wide ones included) and each is read by name.
 */
export async function visibleProjects(config: KubeConfig, kind: ResourceKind): Promise<BeamlineObject[]> {
  const client = resourceClient(config, kind);
  try {
    return await client.list();
  } catch (error) {
    if (apiStatus(error) !== 403) return callApi(config, 'list projects', () => Promise.reject(error as Error));
  }
  const review = await callApi(config, 'review what you may do', () =>
    config.makeApiClient(AuthorizationV1Api).createSelfSubjectRulesReview({ body: { spec: { namespace: 'default' } } }),
  );
  const names = new Set<string>();
  for (const rule of review.status?.resourceRules ?? []) {
    const group = rule.apiGroups?.some((candidate) => candidate === GROUP || candidate === '*') === true;
    const resource = rule.resources?.some((candidate) => candidate === PROJECT.plural || candidate === '*') === true;
    const verb = rule.verbs.some((candidate) => candidate === 'get' || candidate === '*');
    if (group && resource && verb) for (const name of rule.resourceNames ?? []) names.add(name);
  }
  const projects: BeamlineObject[] = [];
  for (const name of names) {
    try {
      projects.push(await client.get(name));
    } catch (error) {
      // Deleted since, or the grant went away: not one of the user's projects any more.
      if (apiStatus(error) !== 403 && apiStatus(error) !== 404) throw error;
    }
  }
  return projects;
}
