/**
 * "May I?": the portal server's `/api/access` (a SelfSubjectAccessReview as the user) from the
 * views, so an action the user may not take is not offered at all (Argo CD's UI shows buttons
 * whose requests then fail). Answers are shared by every view asking the same question and kept
 * 10 seconds; the server decides again on every real request anyway.
 */
import { useEffect, useState } from 'react';
import { getJson } from './api.ts';

/** What to ask: `verb` on `resource` (`clusters.beamline.dev`, `nodegroups.beamline.dev`, …), optionally in a namespace and for one name. */
export interface AccessQuery {
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

const TTL_MS = 10_000;
const answers = new Map<string, { at: number; allowed: Promise<boolean> }>();

function keyOf(query: AccessQuery): string {
  return JSON.stringify([query.verb, query.resource, query.namespace ?? '', query.name ?? '', query.subresource ?? '']);
}

/** Asks the server (or reuses a recent answer). A failed check is a "no": offering an action that then fails is worse. */
export function mayI(query: AccessQuery): Promise<boolean> {
  const key = keyOf(query);
  const cached = answers.get(key);
  if (cached !== undefined && Date.now() - cached.at < TTL_MS) return cached.allowed;
  const params = new URLSearchParams({ verb: query.verb, resource: query.resource });
  if (query.namespace !== undefined) params.set('namespace', query.namespace);
  if (query.name !== undefined) params.set('name', query.name);
  if (query.subresource !== undefined) params.set('subresource', query.subresource);
  const allowed = getJson<{ allowed: boolean }>(`/api/access?${params.toString()}`).then(
    (answer) => answer.allowed,
    () => false,
  );
  answers.set(key, { at: Date.now(), allowed });
  if (answers.size > 500) answers.delete(answers.keys().next().value ?? '');
  return allowed;
}

/** Forgets every answer (after logging in as someone else, or when the user's rights may have changed). */
export function forgetAccess(): void {
  answers.clear();
}

/**
 * Whether the user may do `query`: `undefined` while asking (render nothing for the action yet),
 * then true or false. `undefined` query: nothing to ask (false).
 */
export function useAccess(query: AccessQuery | undefined): boolean | undefined {
  const key = query === undefined ? '' : keyOf(query);
  const [answer, setAnswer] = useState<{ key: string; allowed: boolean } | undefined>();
  useEffect(() => {
    if (query === undefined) return undefined;
    let current = true;
    void mayI(query).then((allowed) => {
      if (current) setAnswer({ key, allowed });
    });
    return () => {
      current = false;
    };
    // The key names the query.
  }, [key]);
  if (query === undefined) return false;
  return answer?.key === key ? answer.allowed : undefined;
}
