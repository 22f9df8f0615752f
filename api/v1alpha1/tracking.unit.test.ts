import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trackedApplication, trackingId } from './groupversion.ts';

test('a tracking id names the app and the object; a copy of the object under another name is not the app\'s', () => {
  const deployment = { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web' };
  const id = trackingId('physics', 'guestbook', deployment);
  assert.equal(id, 'physics/guestbook:apps/Deployment:web/web');
  assert.equal(trackedApplication(id, deployment), 'physics/guestbook');
  assert.equal(trackedApplication(id, { ...deployment, name: 'copy' }), undefined);
  assert.equal(trackedApplication(trackingId('physics', 'guestbook', { group: '', kind: 'Namespace', name: 'web' }), { group: '', kind: 'Namespace', name: 'web' }), 'physics/guestbook');
  assert.equal(trackedApplication('physics/guestbook', deployment), undefined, 'the old form without identity');
  assert.equal(trackedApplication('../etc:apps/Deployment:web/web', deployment), undefined);
});
