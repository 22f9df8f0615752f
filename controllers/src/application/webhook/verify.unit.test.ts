import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { verifyGitHubSignature, verifyGitLabToken, verifyWebhook } from './verify.ts';

const BODY = Buffer.from('{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}');
const sign = (body: Uint8Array, secret: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('verifyGitHubSignature', () => {
  test("accepts GitHub's documented example", () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.deepEqual(verifyGitHubSignature(Buffer.from('Hello, World!'), signature, "It's a Secret to Everybody"), { ok: true });
  });

  test('accepts the HMAC-SHA256 of the raw bytes, in either hex case', () => {
    assert.deepEqual(verifyGitHubSignature(BODY, sign(BODY, 's3cret'), 's3cret'), { ok: true });
    assert.deepEqual(verifyGitHubSignature(BODY, sign(BODY, 's3cret').toUpperCase().replace('SHA256=', 'sha256='), 's3cret'), { ok: true });
  });

  test('refuses another secret, another body, a malformed or truncated signature', () => {
    const reasons = [
      verifyGitHubSignature(BODY, sign(BODY, 'other'), 's3cret'),
      // The same JSON re-serialised is other bytes: the signature is over what was sent.
      verifyGitHubSignature(Buffer.from(JSON.stringify(JSON.parse(BODY.toString()), null, 2)), sign(BODY, 's3cret'), 's3cret'),
      verifyGitHubSignature(BODY, sign(BODY, 's3cret').slice(0, -2), 's3cret'),
      verifyGitHubSignature(BODY, sign(BODY, 's3cret').replace('sha256=', 'sha1='), 's3cret'),
      verifyGitHubSignature(BODY, 'sha256=zz', 's3cret'),
    ].map((result) => (result.ok ? 'ok' : result.reason));
    assert.deepEqual(reasons, ['bad-signature', 'bad-signature', 'bad-signature', 'bad-signature', 'bad-signature']);
  });

  test('refuses a missing signature, and anything when no secret is configured', () => {
    const missing = verifyGitHubSignature(BODY, undefined, 's3cret');
    assert.equal(missing.ok ? 'ok' : missing.reason, 'missing-header');
    for (const secret of [undefined, '']) {
      const result = verifyGitHubSignature(BODY, sign(BODY, ''), secret);
      assert.equal(result.ok ? 'ok' : result.reason, 'no-secret');
    }
  });
});

describe('verifyGitLabToken', () => {
  test('accepts the same token, refuses another, a prefix, a missing one, or no secret', () => {
    assert.deepEqual(verifyGitLabToken('t0ken', 't0ken'), { ok: true });
    const reasons = [verifyGitLabToken('t0ken2', 't0ken'), verifyGitLabToken('t0k', 't0ken'), verifyGitLabToken(undefined, 't0ken'), verifyGitLabToken('', 't0ken'), verifyGitLabToken('t0ken', undefined)].map(
      (result) => (result.ok ? 'ok' : result.reason),
    );
    assert.deepEqual(reasons, ['bad-signature', 'bad-signature', 'missing-header', 'missing-header', 'no-secret']);
  });
});

describe('verifyWebhook', () => {
  test("uses the provider's header and secret, never the other provider's", () => {
    assert.equal(verifyWebhook('github', { 'x-hub-signature-256': sign(BODY, 'gh') }, BODY, { github: 'gh' }).ok, true);
    assert.equal(verifyWebhook('gitlab', { 'x-gitlab-token': 'gl' }, BODY, { gitlab: 'gl' }).ok, true);
    // A GitLab token does not pass for GitHub, nor the GitHub secret for GitLab.
    const crossed = verifyWebhook('github', { 'x-gitlab-token': 'gl' }, BODY, { gitlab: 'gl' });
    assert.equal(crossed.ok ? 'ok' : crossed.reason, 'no-secret');
    const other = verifyWebhook('gitlab', { 'x-gitlab-token': 'gh' }, BODY, { github: 'gh', gitlab: 'gl' });
    assert.equal(other.ok ? 'ok' : other.reason, 'bad-signature');
  });
});
