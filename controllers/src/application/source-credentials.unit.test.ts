import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSourceError } from '@beamline/gitops';
import { decodeSecretData, redactSource, sourceCredentials, type SecretDataReader } from './source-credentials.ts';

const SOURCE = { repoURL: 'https://git.example.org/team/deploy.git', path: '.', credentialsSecretRef: { name: 'repo-creds' } };

function reader(secrets: Record<string, Record<string, string>>): { read: SecretDataReader; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    read: (namespace, name) => {
      asked.push(`${namespace}/${name}`);
      return Promise.resolve(secrets[`${namespace}/${name}`]);
    },
  };
}

test('sourceCredentials reads the Secret in the app namespace only, as basic or ssh credentials', async () => {
  const { read, asked } = reader({
    'team-a/repo-creds': { username: 'bot', password: 't0ken' },
    'team-b/repo-creds': { sshPrivateKey: 'KEY', knownHosts: 'host ssh-ed25519 AAAA' },
  });
  assert.deepEqual(await sourceCredentials(SOURCE, 'team-a', read), { type: 'basic', username: 'bot', password: 't0ken', scope: 'team-a/repo-creds' });
  assert.deepEqual(await sourceCredentials({ ...SOURCE, repoURL: 'git@host:team/deploy.git' }, 'team-b', read), {
    type: 'ssh',
    privateKey: 'KEY',
    knownHosts: 'host ssh-ed25519 AAAA',
    scope: 'team-b/repo-creds',
  });
  assert.deepEqual(asked, ['team-a/repo-creds', 'team-b/repo-creds']);
  assert.equal(await sourceCredentials({ repoURL: SOURCE.repoURL }, 'team-a', read), undefined);
});

test('sourceCredentials refuses a missing Secret, missing keys and multi-line values, without showing values', async () => {
  const { read } = reader({ 'team-a/partial': { username: 'bot' }, 'team-a/lines': { username: 'bot', password: 'a\nprotocol=file' } });
  const refused = async (name: string, pattern: RegExp): Promise<void> => {
    await assert.rejects(sourceCredentials({ ...SOURCE, credentialsSecretRef: { name } }, 'team-a', read), (error: unknown) => {
      assert.ok(isSourceError(error, 'AuthenticationFailed'));
      assert.match(error.message, pattern);
      assert.doesNotMatch(error.message, /protocol=file/);
      return true;
    });
  };
  await refused('missing', /Secret team-a\/missing \(credentialsSecretRef\) not found/);
  await refused('partial', /must hold "username" and "password" \(https, Helm\) or "sshPrivateKey" \(ssh\)/);
  await refused('lines', /must be single lines/);
});

test('decodeSecretData and redactSource', () => {
  assert.deepEqual(decodeSecretData({ password: Buffer.from('s3cr3t').toString('base64') }), { password: 's3cr3t' });
  assert.deepEqual(decodeSecretData(undefined), {});
  assert.deepEqual(redactSource({ repoURL: 'https://bot:s3cr3t@host/r', path: 'a' }), { repoURL: 'https://host/r', path: 'a' });
  const clean = { repoURL: 'ssh://git@host/r' };
  assert.equal(redactSource(clean), clean);
});
