import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { roundRobinSandboxes } from '../../../src/core/queue/engines';
import { redisConnection, rolloutJobs } from '../../../src/core/queue/rolloutQueue';
import { dockerClient } from '../../../src/core/sandbox/engine';
import type { Sandbox, SandboxSpec } from '../../../src/core/sandbox/sandbox';

describe('queue addresses and jobs', () => {
  test('redis URLs become connection options; anything else is refused naming --queue', () => {
    assert.deepEqual(
      { ...redisConnection('redis://:s%40cret@10.0.0.5:6380/2') },
      { host: '10.0.0.5', port: 6380, username: undefined, password: 's@cret', db: 2, tls: undefined, maxRetriesPerRequest: null },
    );
    assert.equal(redisConnection('redis://localhost').port, 6379);
    assert.throws(() => redisConnection('localhost:6379'), /--queue: expected redis:\/\/HOST:PORT, got 'localhost:6379'/);
    assert.throws(() => redisConnection('http://localhost:6379'), /--queue: expected redis:\/\/HOST:PORT/);
  });

  test('one job per (task, attempt), each with its own run id fixed now and absolute paths a remote worker can follow', () => {
    const jobs = rolloutJobs({ taskFile: 'tasks/examples', taskIds: ['a__b-1', 'c__d-2'], attempts: 2, policySpec: 'replay:tasks/examples', outDir: 'runs', reward: 'binary', maxTurns: 30 });
    assert.deepEqual(jobs.map((job) => [job.taskId, job.attempt]), [['a__b-1', 0], ['a__b-1', 1], ['c__d-2', 0], ['c__d-2', 1]]);
    assert.equal(new Set(jobs.map((job) => job.runId)).size, 4);
    assert.match(jobs[1].runId, /^a__b-1\.a1\.[0-9a-f]{6}$/);
    assert.equal(jobs[0].taskFile, resolve('tasks/examples'));
    assert.equal(jobs[0].outDir, resolve('runs'));
    assert.equal(jobs[0].policySpec, `replay:${resolve('tasks/examples')}`);
    assert.equal(rolloutJobs({ taskFile: 't', taskIds: ['x'], attempts: 1, policySpec: 'openai:gpt-4o', outDir: 'o', reward: 'binary', maxTurns: 1 })[0].policySpec, 'openai:gpt-4o');
  });
});

describe('several Docker engines', () => {
  test('sandboxes go to each engine in turn, keeping the rest of the spec', async () => {
    const seen: SandboxSpec[] = [];
    const create = roundRobinSandboxes(['tcp://a:2375', 'ssh://me@b'], async (spec) => {
      seen.push(spec);
      return {} as Sandbox;
    });
    for (let index = 0; index < 3; index++) await create({ image: 'img', runId: `r${index}` });
    assert.deepEqual(seen, [
      { image: 'img', runId: 'r0', dockerHost: 'tcp://a:2375' },
      { image: 'img', runId: 'r1', dockerHost: 'ssh://me@b' },
      { image: 'img', runId: 'r2', dockerHost: 'tcp://a:2375' },
    ]);
  });

  test('dockerClient reads DOCKER_HOST-style addresses: unix socket, tcp, ssh; an unknown scheme is refused', () => {
    const modem = (host: string) => (dockerClient(host) as unknown as { modem: Record<string, unknown> }).modem;
    assert.equal(modem('unix:///run/other.sock').socketPath, '/run/other.sock');
    assert.deepEqual([modem('tcp://10.1.2.3:2375').host, modem('tcp://10.1.2.3:2375').port, modem('tcp://10.1.2.3:2375').protocol], ['10.1.2.3', '2375', 'http']);
    assert.deepEqual([modem('ssh://ci@builder').host, modem('ssh://ci@builder').protocol, modem('ssh://ci@builder').username], ['builder', 'ssh', 'ci']);
    assert.throws(() => dockerClient('http://x:1'), /docker host http:\/\/x:1: expected unix:\/\/, tcp:\/\/ or ssh:\/\//);
  });
});
