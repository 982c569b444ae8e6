import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyFailure, withRetries } from '../../../src/core/agent/policies/retry';
import { PolicyError } from '../../../src/core/agent/policies/policy';

class ConnectionFailure extends Error {}
class UserAbort extends Error {}
const sdk = {
  isConnectionFailure: (e: unknown) => e instanceof ConnectionFailure,
  isAbort: (e: unknown) => e instanceof UserAbort,
};
const httpError = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`${status} failed`), { status, headers: new Headers(headers) });

describe('classifyFailure', () => {
  test('retries rate limits, server errors and resets; never another 4xx, nor an abort', () => {
    for (const status of [429, 500, 502, 503, 529])
      assert.equal(classifyFailure(httpError(status), sdk).retryable, true, String(status));
    for (const status of [400, 401, 403, 404, 408, 409, 422])
      assert.equal(classifyFailure(httpError(status), sdk).retryable, false, String(status));
    assert.deepEqual(classifyFailure(new ConnectionFailure('socket hang up'), sdk), { retryable: true });
    assert.deepEqual(classifyFailure(new UserAbort('aborted'), sdk), { retryable: false });
    assert.deepEqual(classifyFailure(new TypeError('a bug'), sdk), { retryable: false });
  });

  test('an error sent inside a stream (no HTTP status) is classed by the status its code or type stands for', () => {
    // As the SDKs raise them: Anthropic's `event: error` keeps the whole body, OpenAI's keeps its `error`.
    const inStream = (body: unknown) => Object.assign(new Error('in-stream error'), { status: undefined, error: body });
    const anthropic = (type: string) => inStream({ type: 'error', error: { type, message: type } });
    assert.deepEqual(
      ['overloaded_error', 'api_error', 'rate_limit_error', 'invalid_request_error'].map((type) => {
        const { retryable, status } = classifyFailure(anthropic(type), sdk);
        return [type, retryable, status];
      }),
      [
        ['overloaded_error', true, 529],
        ['api_error', true, 500],
        ['rate_limit_error', true, 429],
        ['invalid_request_error', false, 400],
      ],
    );
    const openai = inStream({ message: 'The server had an error', type: 'server_error', param: null, code: null });
    assert.deepEqual(classifyFailure(openai, sdk), { retryable: true, status: 500, retryAfterMs: undefined });
    assert.equal(classifyFailure(inStream({ code: 503, message: 'Loading model' }), sdk).status, 503);
    assert.deepEqual(classifyFailure(inStream({ type: 'some_new_error' }), sdk), { retryable: false });
  });

  test('reads retry-after-ms, retry-after seconds and retry-after dates', () => {
    assert.equal(classifyFailure(httpError(429, { 'retry-after-ms': '250' }), sdk).retryAfterMs, 250);
    assert.equal(classifyFailure(httpError(429, { 'retry-after': '2' }), sdk).retryAfterMs, 2000);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    const fromDate = classifyFailure(httpError(503, { 'retry-after': inTenSeconds }), sdk).retryAfterMs!;
    assert.ok(fromDate > 8000 && fromDate <= 10_000, String(fromDate));
    assert.equal(classifyFailure(httpError(503), sdk).retryAfterMs, undefined);
  });
});

describe('withRetries', () => {
  test('gives up after maxRetries with a PolicyError that keeps the status and drops secrets', async () => {
    let attempts = 0;
    const failing = async () => {
      attempts++;
      throw httpError(500, {});
    };
    await assert.rejects(
      withRetries('server model m', failing, {
        maxRetries: 2,
        baseDelayMs: 1,
        classify: (e) => classifyFailure(e, sdk),
      }),
      (error: PolicyError) =>
        error instanceof PolicyError &&
        error.status === 500 &&
        error.retryable &&
        error.message === 'server model m: 500 failed (gave up after 3 attempts)',
    );
    assert.equal(attempts, 3);
    const leaky = async () => {
      throw Object.assign(new Error('bad key sk-live-abcdefgh1234'), { status: 401 });
    };
    await assert.rejects(
      withRetries('s', leaky, { classify: (e) => classifyFailure(e, sdk), secrets: ['sk-live-abcdefgh1234'] }),
      /^PolicyError: s: bad key \[REDACTED\]$/,
    );
  });
});
