import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { fastify } from 'fastify';
import { pino } from 'pino';
import { httpErrorHandler, INTERNAL_ERROR_MESSAGE } from './error-handler.ts';
import { ConflictError, HttpError, InputError, InternalServerError, NotFoundError, PayloadTooLargeError, UnauthorizedError } from './http-errors.ts';

function logSink(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('httpErrorHandler', () => {
  test('a named error answers with its status code and { error: { name, message }, message }', async () => {
    const app = fastify({ logger: false });
    app.setErrorHandler(httpErrorHandler());
    const errors: Record<string, Error> = {
      input: new InputError('the body is not valid JSON'),
      unauthorized: new UnauthorizedError('wrong signature'),
      missing: new NotFoundError('application "web" not found'),
      conflict: new ConflictError('application "web" exists'),
      internal: new InternalServerError('failed to read the webhook secrets'),
      teapot: new HttpError(418, 'short and stout'),
    };
    for (const [path, error] of Object.entries(errors)) app.get(`/${path}`, () => Promise.reject(error));
    const answers = await Promise.all(Object.keys(errors).map(async (path) => {
      const response = await app.inject({ method: 'GET', url: `/${path}` });
      return [response.statusCode, response.json()] as const;
    }));
    assert.deepEqual(answers, [
      [400, { error: { name: 'InputError', message: 'the body is not valid JSON' }, message: 'the body is not valid JSON' }],
      [401, { error: { name: 'UnauthorizedError', message: 'wrong signature' }, message: 'wrong signature' }],
      [404, { error: { name: 'NotFoundError', message: 'application "web" not found' }, message: 'application "web" not found' }],
      [409, { error: { name: 'ConflictError', message: 'application "web" exists' }, message: 'application "web" exists' }],
      [500, { error: { name: 'InternalServerError', message: 'failed to read the webhook secrets' }, message: 'failed to read the webhook secrets' }],
      [418, { error: { name: 'HttpError', message: 'short and stout' }, message: 'short and stout' }],
    ]);
    await app.close();
  });

  test("Fastify's own 4xx errors get the named error of their status; translate rewords them", async () => {
    const app = fastify({ logger: false });
    app.setErrorHandler(httpErrorHandler());
    app.post('/small', { bodyLimit: 8 }, () => ({ ok: true }));
    const tooLarge = await app.inject({ method: 'POST', url: '/small', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ much: 'too large' }) });
    assert.equal(tooLarge.statusCode, 413);
    assert.equal(tooLarge.json<{ error: { name: string } }>().error.name, 'PayloadTooLargeError');

    const reworded = fastify({ logger: false });
    reworded.setErrorHandler(httpErrorHandler({ translate: (error) => (error.statusCode === 413 ? new PayloadTooLargeError('at most 8 bytes') : undefined) }));
    reworded.post('/small', { bodyLimit: 8 }, () => ({ ok: true }));
    const answer = await reworded.inject({ method: 'POST', url: '/small', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ much: 'too large' }) });
    assert.deepEqual([answer.statusCode, answer.json()], [413, { error: { name: 'PayloadTooLargeError', message: 'at most 8 bytes' }, message: 'at most 8 bytes' }]);
    await Promise.all([app.close(), reworded.close()]);
  });

  test('an unexpected error is a 500 that does not repeat its message (it may hold a secret), logged instead', async () => {
    const { logger, lines } = logSink();
    const app = fastify({ logger: false });
    app.setErrorHandler(httpErrorHandler({ logger }));
    app.get('/boom', () => Promise.reject(new Error('failed to clone https://user:hunter2@git.example.org/repo.git')));
    const response = await app.inject({ method: 'GET', url: '/boom' });
    assert.deepEqual([response.statusCode, response.json()], [500, { error: { name: 'InternalServerError', message: INTERNAL_ERROR_MESSAGE }, message: INTERNAL_ERROR_MESSAGE }]);
    assert.doesNotMatch(response.body, /hunter2/);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /request failed/);
    await app.close();
  });
});
