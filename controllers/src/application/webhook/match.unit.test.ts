import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeRepoUrl, pushMatchesSource, revisionMatchesPush, sameRepoUrl } from './match.ts';
import type { PushEvent } from './parse-push.ts';

describe('normalizeRepoUrl', () => {
  test('gives host[:port]/path without scheme, user, credentials, default port, .git or trailing /', () => {
    const cases: [string, string][] = [
      ['https://github.com/Org/Repo.git', 'github.com/org/repo'],
      ['https://github.com/org/repo', 'github.com/org/repo'],
      ['git@github.com:org/repo.git', 'github.com/org/repo'],
      ['ssh://git@github.com/org/repo', 'github.com/org/repo'],
      ['ssh://git@github.com:22/org/repo.git', 'github.com/org/repo'],
      ['git://github.com/org/repo.git', 'github.com/org/repo'],
      ['https://GitHub.com:443/org/repo/', 'github.com/org/repo'],
      ['http://user:token@host:8080/org/repo.git/', 'host:8080/org/repo'],
      ['https://x-access-token:ghs_abc@github.com/org/repo.git', 'github.com/org/repo'],
      ['ssh://git@gitlab.example.org:2222/group/sub/repo.git', 'gitlab.example.org:2222/group/sub/repo'],
      ['git@gitlab.example.org:group/sub/repo.git', 'gitlab.example.org/group/sub/repo'],
      ['gitlab.example.org:/srv/git/repo', 'gitlab.example.org/srv/git/repo'],
      ['https://gitlab.example.org/group/repo.git?ref=main#readme', 'gitlab.example.org/group/repo'],
      ['  https://github.com/org/repo  ', 'github.com/org/repo'],
      ['http://[::1]:3000/org/repo.git', '[::1]:3000/org/repo'],
      // file:// gives the path, case kept: file systems are case-sensitive.
      ['file:///srv/Git/repo.git', '/srv/Git/repo'],
      ['file:///srv/Git/repo/', '/srv/Git/repo'],
      ['file://localhost/srv/git/repo', '/srv/git/repo'],
      ['file:///tmp/a%20b/repo.git', '/tmp/a b/repo'],
    ];
    for (const [input, expected] of cases) assert.equal(normalizeRepoUrl(input), expected, input);
  });

  test('sameRepoUrl compares normalised forms and never matches empty URLs', () => {
    assert.equal(sameRepoUrl('https://github.com/Org/Repo.git', 'git@github.com:org/repo'), true);
    assert.equal(sameRepoUrl('https://github.com/org/repo', 'https://github.com/org/repo2'), false);
    assert.equal(sameRepoUrl('https://github.com/org/repo', 'https://gitlab.com/org/repo'), false);
    assert.equal(sameRepoUrl('https://host:8080/org/repo', 'https://host/org/repo'), false);
    assert.equal(sameRepoUrl('file:///srv/Repo', 'file:///srv/repo'), false);
    assert.equal(sameRepoUrl('', ''), false);
  });
});

const MAIN: PushEvent = {
  provider: 'github',
  repoUrls: ['https://github.com/Org/Repo.git', 'git@github.com:Org/Repo.git'],
  ref: 'refs/heads/main',
  branch: 'main',
  defaultBranch: 'main',
  after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
};
const FEATURE: PushEvent = { ...MAIN, ref: 'refs/heads/feature/x', branch: 'feature/x' };
const TAG: PushEvent = { provider: 'github', repoUrls: MAIN.repoUrls, ref: 'refs/tags/v1', tag: 'v1', defaultBranch: 'main' };
const NO_DEFAULT: PushEvent = { provider: 'gitlab', repoUrls: MAIN.repoUrls, ref: 'refs/heads/dev', branch: 'dev' };

describe('revisionMatchesPush', () => {
  test('table', () => {
    const cases: [PushEvent, string | undefined, boolean][] = [
      // HEAD (or none) follows the default branch.
      [MAIN, undefined, true],
      [MAIN, '', true],
      [MAIN, 'HEAD', true],
      [FEATURE, 'HEAD', false],
      [TAG, 'HEAD', false],
      // Unknown default branch: any branch push may have moved HEAD.
      [NO_DEFAULT, 'HEAD', true],
      [NO_DEFAULT, undefined, true],
      // Branches, by name or full ref.
      [MAIN, 'main', true],
      [MAIN, 'refs/heads/main', true],
      [MAIN, 'heads/main', true],
      [MAIN, 'dev', false],
      [MAIN, 'refs/tags/main', false],
      [FEATURE, 'feature/x', true],
      [FEATURE, 'refs/heads/feature/x', true],
      [FEATURE, 'feature', false],
      // Tags, by name or full ref.
      [TAG, 'v1', true],
      [TAG, 'refs/tags/v1', true],
      [TAG, 'tags/v1', true],
      [TAG, 'refs/heads/v1', false],
      [TAG, 'v1.0', false],
      // A full commit is pinned: no push moves it, not even one that lands on it.
      [MAIN, '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', false],
      [MAIN, '0D1A26E67D8F5EAF1F6BA5C57FC3C7D91AC0FD1C', false],
    ];
    for (const [push, revision, expected] of cases) assert.equal(revisionMatchesPush(push, revision), expected, `${push.ref} vs ${String(revision)}`);
  });
});

describe('pushMatchesSource', () => {
  test('table', () => {
    const cases: [PushEvent, { repoURL: string; targetRevision?: string; chart?: string }, boolean][] = [
      [MAIN, { repoURL: 'https://github.com/org/repo' }, true],
      [MAIN, { repoURL: 'ssh://git@github.com/org/repo.git', targetRevision: 'main' }, true],
      [MAIN, { repoURL: 'https://bot:t0ken@github.com/ORG/REPO.git/', targetRevision: 'refs/heads/main' }, true],
      [MAIN, { repoURL: 'https://github.com/org/other', targetRevision: 'main' }, false],
      [MAIN, { repoURL: 'https://github.com/org/repo', targetRevision: 'v1' }, false],
      [TAG, { repoURL: 'https://github.com/org/repo', targetRevision: 'v1' }, true],
      [MAIN, { repoURL: 'https://github.com/org/repo', targetRevision: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' }, false],
      // A Helm-repository source never comes from git, even at the same URL.
      [MAIN, { repoURL: 'https://github.com/org/repo', chart: 'repo' }, false],
      [MAIN, { repoURL: '' }, false],
    ];
    for (const [push, source, expected] of cases) assert.equal(pushMatchesSource(push, source), expected, `${push.ref} vs ${JSON.stringify(source)}`);
  });
});
