import type { Logger } from 'pino';
import { redactCredentials } from '@beamline/gitops';
import { EventRecorder, type KubeClient } from '@beamline/kube';

/** The component Application events are reported as. */
const SOURCE = 'beamline-gitops';

/**
 * The recorder of Events on Applications (`kubectl describe bapp`, `kubectl get events`), as
 * `beamline-gitops`. Messages have URL credentials taken out (`scheme://user:secret@` →
 * `scheme://***@`) whatever produced them: a fetch error quotes the repository URL as git printed
 * it, and events are readable by anyone who may list events in the namespace.
 */
export function applicationEvents(client: KubeClient, logger: Logger): EventRecorder {
  return new EventRecorder(client, logger, { component: SOURCE, filter: redactCredentials });
}
