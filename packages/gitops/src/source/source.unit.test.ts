import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isValidRevision, mirrorFolderName, normaliseSourcePath } from './git-mirror-cache.ts';
import { parseGitUrl, redactCredentials, redactUrl } from './git-url.ts';
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
    // One mirror per repository and credentials: the spelling with a token gets its own.
    assert.equal(new Set(same.map((url) => mirrorFolderName(url))).size, 2);
    assert.equal(new Set(same.slice(0, 3).map((url) => mirrorFolderName(url))).size, 1);
    const basic = { type: 'basic', username: 'bot', password: 's3cr3t', scope: 'team-a/repo-creds' } as const;
    assert.notEqual(mirrorFolderName(same[0] ?? '', basic), mirrorFolderName(same[0] ?? ''));
    assert.notEqual(mirrorFolderName(same[0] ?? '', basic), mirrorFolderName(same[0] ?? '', { ...basic, scope: 'team-b/repo-creds' }));
    assert.notEqual(mirrorFolderName(same[0] ?? '', basic), mirrorFolderName(same[0] ?? '', { ...basic, password: 'other' }));
    assert.equal(mirrorFolderName(same[0] ?? '', basic), mirrorFolderName(same[1] ?? '', { ...basic }));
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

  test('refuses ssh hosts and users git could read as an option, even percent-encoded or bracketed', () => {
    const refused = [
      // git percent-decodes the URL before splitting off the host: %2d is "-".
      'ssh://%2doProxyCommand=touch%20pwned/repo',
      'ssh://%2DoProxyCommand=x/repo',
      'ssh://git@%2doProxyCommand=x/repo',
      'ssh://%2dx@host/repo',
      'https://%2doProxyCommand=x/repo',
      // Brackets are for IPv6 literals only.
      'ssh://[-oProxyCommand=touch%20pwned]/repo',
      'ssh://[host]/repo',
      '[-oProxyCommand=x]:repo',
      'git@[-oProxyCommand=x]:repo',
      '[host.example.org]:repo',
      // Anything else in a host or user is not a name ssh expects.
      "ssh://host'x/repo",
      'ssh://ho%20st/repo',
      'ssh://ho%0ast/repo',
      'ssh://.host/repo',
      'git;x@host:repo',
      'ho$t:repo',
    ];
    for (const url of refused) {
      assert.throws(() => parseGitUrl(url), (error: unknown) => isSourceError(error, 'InvalidUrl'), JSON.stringify(url));
    }
    for (const ok of ['ssh://git@[::1]/repo', 'ssh://git@[2001:db8::1]:2222/repo', 'git@[::1]:repo', 'ssh://git@10.0.0.1/repo', 'git@git_host.example-1.org:repo', 'ssh://deploy.bot@host/repo']) {
      assert.doesNotThrow(() => parseGitUrl(ok), ok);
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

test('redactUrl strips userinfo from URLs, keeping an ssh user', () => {
  const cases: [string, string][] = [
    ['https://bot:s3cr3t@github.com/o/r.git', 'https://github.com/o/r.git'],
    ['https://ghp_t0ken@github.com/o/r', 'https://github.com/o/r'],
    ['http://u:p%40ss@127.0.0.1:8080/repo', 'http://127.0.0.1:8080/repo'],
    ['oci://robot:s3cr3t@registry.example.org/charts', 'oci://registry.example.org/charts'],
    ['HTTPS://a:b@host/x', 'HTTPS://host/x'],
    ['ssh://git@github.com/o/r', 'ssh://git@github.com/o/r'],
    ['ssh://git:hunter2@github.com/o/r', 'ssh://git@github.com/o/r'],
    ['git@github.com:o/r.git', 'git@github.com:o/r.git'],
    ['https://github.com/o/r', 'https://github.com/o/r'],
    ['https://github.com/o/r@v1', 'https://github.com/o/r@v1'],
    ['file:///srv/repo', 'file:///srv/repo'],
    ['not a url https://u:p@h/x', 'not a url https://***@h/x'],
  ];
  for (const [input, expected] of cases) assert.equal(redactUrl(input), expected, input);
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
