/**
 * Concurrent pulls of one image share one transfer, and a cancelled caller stops waiting at once; the transfer
 * stops only when no caller waits for it. The engine's pull request is a stream this test writes progress to.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { Engine } from '../../../src/core/sandbox/engine';

interface Transfer {
  stream: PassThrough;
  stopped: AbortSignal;
}

/** An engine (at an address nothing listens on) whose pull requests are streams the test holds. */
function engineWithTransfers(address: string): { engine: Engine; transfers: Transfer[] } {
  const engine = Engine.at(address);
  const transfers: Transfer[] = [];
  engine.docker.pull = (async (_image: string, options: { abortSignal: AbortSignal }) => {
    const stream = new PassThrough();
    options.abortSignal.addEventListener('abort', () => stream.destroy(new Error('request aborted')));
    transfers.push({ stream, stopped: options.abortSignal });
    return stream;
  }) as unknown as typeof engine.docker.pull;
  return { engine, transfers };
}

const settled = (promise: Promise<unknown>) =>
  Promise.race([
    promise.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise((r) => setImmediate(r, 'pending')),
  ]);

test('a cancelled caller stops waiting at once; the shared transfer goes on for a caller still waiting', async () => {
  const { engine, transfers } = engineWithTransfers('tcp://shared-pull-one.invalid:2375');
  const cancel = new AbortController();
  const patient = engine.pullImage('example/image:1');
  const cancelled = engine.pullImage('example/image:1', { signal: cancel.signal });
  await new Promise(setImmediate);
  assert.equal(transfers.length, 1, 'one transfer for both callers');
  cancel.abort(new Error('cancelled'));
  await assert.rejects(cancelled, /^Error: cancelled$/);
  assert.equal(transfers[0].stopped.aborted, false, 'the transfer goes on for the caller still waiting');
  assert.equal(await settled(patient), 'pending');
  transfers[0].stream.end(`${JSON.stringify({ status: 'Status: Downloaded newer image' })}\n`);
  await patient;
});

test('once every caller is cancelled the transfer stops, and a later caller starts another', async () => {
  const { engine, transfers } = engineWithTransfers('tcp://shared-pull-two.invalid:2375');
  const first = new AbortController();
  const second = new AbortController();
  const pulls = [first, second].map((cancel) => engine.pullImage('example/image:2', { signal: cancel.signal }));
  await new Promise(setImmediate);
  first.abort(new Error('first'));
  assert.equal(transfers[0].stopped.aborted, false);
  second.abort(new Error('second'));
  assert.equal(transfers[0].stopped.aborted, true, 'no caller waits: the request is aborted');
  await assert.rejects(pulls[0], /first/);
  await assert.rejects(pulls[1], /second/);
  const later = engine.pullImage('example/image:2');
  await new Promise(setImmediate);
  assert.equal(transfers.length, 2, 'a new transfer, not the stopped one');
  transfers[1].stream.end();
  await later;
});
