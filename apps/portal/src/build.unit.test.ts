// When `npm start` and `npm test` rebuild the portal app: missing, older than a source, or current.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { portalBuildReason } from './build.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'beamline-portal-build-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('a missing build needs building', async () => {
  assert.equal(await portalBuildReason(join(dir, 'none')), 'not built yet');
});

test('a build older than the sources needs rebuilding; a newer one does not', async () => {
  const dist = join(dir, 'dist');
  await mkdir(dist, { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html>');
  // Older than every source file (1970).
  await utimes(join(dist, 'index.html'), 0, 0);
  assert.equal(await portalBuildReason(dist), 'sources changed since the last build');
  // Newer than every source file (an hour ahead).
  const later = new Date(Date.now() + 3_600_000);
  await utimes(join(dist, 'index.html'), later, later);
  assert.equal(await portalBuildReason(dist), undefined);
});
