import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { detectWebhook, parseWebhook } from './parse-push.ts';
import { githubPingPayload, githubPushPayload, gitlabPushPayload, gitlabTagPushPayload } from './testing/payloads.ts';

const GITHUB_PUSH = { 'x-github-event': 'push' };
const GITLAB_PUSH = { 'x-gitlab-event': 'Push Hook' };

describe('detectWebhook', () => {
  test('reads the provider and event from the headers', () => {
    assert.deepEqual(detectWebhook({ 'x-github-event': 'push' }), { provider: 'github', event: 'push' });
    assert.deepEqual(detectWebhook({ 'x-gitlab-event': 'Tag Push Hook' }), { provider: 'gitlab', event: 'Tag Push Hook' });
    assert.deepEqual(detectWebhook({ 'x-github-event': ['ping', 'push'] }), { provider: 'github', event: 'ping' });
    assert.equal(detectWebhook({ 'content-type': 'application/json' }), undefined);
    assert.equal(detectWebhook({ 'x-github-event': ' ' }), undefined);
  });
});

describe('parseWebhook', () => {
  test('a GitHub branch push gives every repository URL, the branch, the default branch and the new sha', () => {
    assert.deepEqual(parseWebhook(GITHUB_PUSH, githubPushPayload()), {
      kind: 'push',
      provider: 'github',
      push: {
        provider: 'github',
        repoUrls: [
          'https://github.com/Octo-Org/Hello-World.git',
          'https://github.com/Octo-Org/Hello-World',
          'git@github.com:Octo-Org/Hello-World.git',
          'git://github.com/Octo-Org/Hello-World.git',
        ],
        ref: 'refs/heads/main',
        branch: 'main',
        defaultBranch: 'main',
        after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      },
    });
  });

  test('a GitHub tag push gives the tag; a deleted ref has no sha', () => {
    const tag = parseWebhook(GITHUB_PUSH, githubPushPayload({ ref: 'refs/tags/v1' }));
    assert.equal(tag?.kind, 'push');
    if (tag?.kind !== 'push') return;
    assert.equal(tag.push.tag, 'v1');
    assert.equal(tag.push.branch, undefined);

    const deleted = parseWebhook(GITHUB_PUSH, githubPushPayload({ ref: 'refs/heads/feature/x', deleted: true, after: '0000000000000000000000000000000000000000' }));
    assert.equal(deleted?.kind === 'push' ? deleted.push.branch : undefined, 'feature/x');
    assert.equal(deleted?.kind === 'push' ? deleted.push.after : 'not a push', undefined);
  });

  test('a GitHub ping is a ping, other GitHub events are ignored', () => {
    assert.deepEqual(parseWebhook({ 'x-github-event': 'ping' }, githubPingPayload()), { kind: 'ping', provider: 'github' });
    const ignored = parseWebhook({ 'x-github-event': 'issues' }, { action: 'opened' });
    assert.equal(ignored?.kind, 'ignored');
    assert.match(ignored?.kind === 'ignored' ? ignored.message : '', /GitHub event "issues"/);
  });

  test('a GitLab push gives the project and repository URLs', () => {
    assert.deepEqual(parseWebhook(GITLAB_PUSH, gitlabPushPayload()), {
      kind: 'push',
      provider: 'gitlab',
      push: {
        provider: 'gitlab',
        repoUrls: [
          'https://gitlab.example.org/science/analysis.git',
          'git@gitlab.example.org:science/analysis.git',
          'https://gitlab.example.org/science/analysis',
        ],
        ref: 'refs/heads/main',
        branch: 'main',
        defaultBranch: 'main',
        after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      },
    });
  });

  test('a GitLab tag push takes the commit (checkout_sha), not the tag object', () => {
    const parsed = parseWebhook({ 'x-gitlab-event': 'Tag Push Hook' }, gitlabTagPushPayload());
    assert.equal(parsed?.kind, 'push');
    if (parsed?.kind !== 'push') return;
    assert.equal(parsed.push.tag, 'v1.0.0');
    assert.equal(parsed.push.ref, 'refs/tags/v1.0.0');
    assert.equal(parsed.push.after, '5937ac0a7beb003549fc5fd26fc247adbce4a52e');
  });

  test('an old GitLab payload with only the repository block still names the repository', () => {
    const parsed = parseWebhook(GITLAB_PUSH, {
      ref: 'refs/heads/master',
      after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      repository: { url: 'git@example.com:mike/diaspora.git', homepage: 'http://example.com/mike/diaspora', git_http_url: 'http://example.com/mike/diaspora.git' },
    });
    assert.equal(parsed?.kind, 'push');
    if (parsed?.kind !== 'push') return;
    assert.deepEqual(parsed.push.repoUrls, ['http://example.com/mike/diaspora.git', 'http://example.com/mike/diaspora', 'git@example.com:mike/diaspora.git']);
    assert.equal(parsed.push.defaultBranch, undefined);
  });

  test('GitLab events other than pushes are ignored', () => {
    assert.equal(parseWebhook({ 'x-gitlab-event': 'Merge Request Hook' }, { object_kind: 'merge_request' })?.kind, 'ignored');
    assert.equal(parseWebhook({ 'x-gitlab-event': 'System Hook' }, { event_name: 'push' })?.kind, 'ignored');
  });

  test('a push without ref or repository, or not an object, is invalid and says what is missing', () => {
    const noRef = parseWebhook(GITHUB_PUSH, githubPushPayload({ ref: undefined }));
    assert.deepEqual(noRef, { kind: 'invalid', provider: 'github', message: 'the GitHub push payload has no "ref"' });
    const noRepo = parseWebhook(GITLAB_PUSH, { ref: 'refs/heads/main', project: {} });
    assert.equal(noRepo?.kind, 'invalid');
    assert.match(noRepo?.kind === 'invalid' ? noRepo.message : '', /names no repository URL \(project\.git_http_url/);
    assert.equal(parseWebhook(GITHUB_PUSH, [1, 2])?.kind, 'invalid');
    assert.equal(parseWebhook(GITHUB_PUSH, null)?.kind, 'invalid');
  });

  test('no provider header: undefined', () => {
    assert.equal(parseWebhook({}, githubPushPayload()), undefined);
  });
});
