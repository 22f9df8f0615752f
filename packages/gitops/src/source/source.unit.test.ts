import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isValidRevision, mirrorFolderName, normaliseSourcePath } from './git-mirror-cache.ts';
import { parseGitUrl, redactCredentials } from './git-url.ts';
import { isSourceError } from './source-error.ts';

describe('parseGitUrl', () => {
  test('accepts https, http, ssh, file and scp-like URLs', () => {
    const cases: [string, string, string, string][] = [
      // input, scheme, url given to git, key
      ['https://github.com/org/repo.git', 'https', 'https://github.com/org/repo.git', 'https://github.com/org/repo'],
      ['http://127.0.0.1:8080/repo', 'http', 'http://127.0.0.1:8080/repo', 'http://127.0.0.1:8080/repo'],
      ['ssh://git@GitHub.com/org/repo.git', 'ssh', 'ssh://git@github.com/org/repo.git', 'ssh://git@github.com/org/repo'],
      ['ssh://git@host:2222/srv/repo', 'ssh', 'ssh://git@host:2222/srv/repo', 'ssh://git@host:2222/srv/repo'],
      ['file:///srv/git/repo.git', 'file', 'file:///srv/git/repo.git', 'file:///srv/git/repo'],
      ['git@github.com:org/repo.git', 'scp', 'git@github.com:org/repo.git', 'scp://git@github.com:org/repo'],
      ['gitlab.example.org:group/sub/repo', 'scp', 'gitlab.example.org:group/sub/repo', 'scp://gitlab.example.org:group/sub/repo'],
    ];
    for (const [input, scheme, url, key] of cases) {
      const parsed = parseGitUrl(input);
      assert.deepEqual([parsed.scheme, parsed.url, parsed.key, parsed.authorization], [scheme, url, key, undefined], input);
    }
  });

  test('normalises spellings of one repository to one key (and so one mirror)', () => {
    const same = [
      'https://github.com/org/repo',
      'https://GitHub.com/org/repo.git',
      'https://github.com:443/org/repo/',
      'https://x-access-token:secret@github.com/org/repo.git',
    ];
    assert.deepEqual(new Set(same.map((url) => parseGitUrl(url).key)).size, 1);
    assert.equal(new Set(same.map(mirrorFolderName)).size, 1);
    assert.match(mirrorFolderName(same[0] ?? ''), /^[0-9a-f]{64}$/);
    assert.notEqual(parseGitUrl('https://github.com/org/Repo').key, parseGitUrl('https://github.com/org/repo').key);
    assert.equal(parseGitUrl('ssh://git@host:22/repo').key, parseGitUrl('ssh://git@host/repo').key);
  });

  test('moves http credentials into an Authorization header, out of the URL and its display', () => {
    const parsed = parseGitUrl('https://bot:t0ken%2Fx@git.example.org/team/repo.git');
    assert.equal(parsed.url, 'https://git.example.org/team/repo.git');
    assert.equal(parsed.display, 'https://git.example.org/team/repo.git');
    assert.equal(parsed.authorization, `Basic ${Buffer.from('bot:t0ken/x').toString('base64')}`);
    assert.equal(parseGitUrl('https://ghp_abc@github.com/o/r').authorization, `Basic ${Buffer.from('ghp_abc:').toString('base64')}`);
    // An ssh password is dropped (ssh takes keys), the user stays.
    const ssh = parseGitUrl('ssh://git:hunter2@host/repo');
    assert.equal(ssh.url, 'ssh://git@host/repo');
    assert.doesNotMatch(`${ssh.url} ${ssh.display} ${ssh.key}`, /hunter2/);
  });

  test('refuses transport helpers, option injection, other schemes and local paths', () => {
    const refused = [
      'ext::sh -c touch% /tmp/pwned',
      'ext::sh',
      'fd::3',
      'fd::17/foo',
      'myhelper::https://github.com/org/repo',
      '-uhttps://github.com/org/repo',
      '--upload-pack=touch /tmp/pwned',
      'git://github.com/org/repo',
      'git+ssh://github.com/org/repo',
      'ftp://example.org/repo',
      'javascript://x',
      '/srv/git/repo',
      './repo',
      'repo',
      '',
      'https://github.com/org/repo?private_token=x',
      'https://github.com/org/repo#main',
      'https://github.com/org/re po',
      'https://github.com/org/repo\n--upload-pack=x',
      'ssh://-oProxyCommand=touch%20pwned/repo',
      'ssh://-oProxyCommand=x@host/repo',
      '-oProxyCommand=x:repo',
      'host:-repo',
      'user:password@host:repo',
      'file://otherhost/srv/repo',
      'file:///',
      'https:///repo',
    ];
    for (const url of refused) {
      assert.throws(
        () => parseGitUrl(url),
        (error: unknown) => isSourceError(error, 'InvalidUrl') && error.message.startsWith('failed to use git URL'),
        JSON.stringify(url),
      );
    }
  });

  test('never puts credentials of a refused URL in the error', () => {
    for (const url of ['https://bot:s3cr3t@github.com/org/re po', 'git://bot:s3cr3t@github.com/org/repo', 'ext::curl https://bot:s3cr3t@x']) {
      assert.throws(
        () => parseGitUrl(url),
        (error: unknown) => isSourceError(error, 'InvalidUrl') && !error.message.includes('s3cr3t') && !error.url.includes('s3cr3t'),
      );
    }
  });
});

test('redactCredentials removes userinfo from any URL in a text', () => {
  assert.equal(
    redactCredentials("fatal: unable to access 'https://bot:s3cr3t@github.com/o/r/': 403 and ssh://u:p@h/x"),
    "fatal: unable to access 'https://***@github.com/o/r/': 403 and ssh://***@h/x",
  );
  assert.equal(redactCredentials('https://github.com/o/r'), 'https://github.com/o/r');
});

test('isValidRevision follows git check-ref-format and refuses options', () => {
  for (const ok of ['main', 'HEAD', 'v1.2.3', 'release/1.0', 'refs/heads/main', 'refs/pull/12/head', 'deadbeef', 'a'.repeat(40), 'feature_x-y']) {
    assert.equal(isValidRevision(ok), true, ok);
  }
  for (const bad of ['', '-x', '--upload-pack=x', 'a..b', 'a b', 'a:b', 'a^', 'a~1', 'a?', 'a*', 'a[', 'a\\b', '/a', 'a/', 'a.', 'a//b', 'a@{1}', '@', '.a', 'a/.b', 'a.lock', 'x\n']) {
    assert.equal(isValidRevision(bad), false, JSON.stringify(bad));
  }
});

test('normaliseSourcePath gives a canonical folder, or undefined when it leaves the repository', () => {
  assert.equal(normaliseSourcePath(''), '');
  assert.equal(normaliseSourcePath('.'), '');
  assert.equal(normaliseSourcePath('/'), '');
  assert.equal(normaliseSourcePath('./apps//a/'), 'apps/a');
  assert.equal(normaliseSourcePath('/apps/./a'), 'apps/a');
  assert.equal(normaliseSourcePath('../x'), undefined);
  assert.equal(normaliseSourcePath('apps/../../x'), undefined);
  assert.equal(normaliseSourcePath('apps/\0'), undefined);
});
