import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import type { ProtocolSpec } from '../../../src/core/agent/protocols/protocol';
import { roundRobinSandboxes } from '../../../src/core/queue/engines';
import { isS3Url } from '../../../src/core/queue/resultStore';
import { redisConnection, rolloutJobs } from '../../../src/core/queue/rolloutQueue';
import { explainS3Error, parseS3Url, S3ResultStore } from '../../../src/core/queue/s3ResultStore';
import { dockerClient } from '../../../src/core/sandbox/engine';
import type { Sandbox, SandboxSpec } from '../../../src/core/sandbox/sandbox';

describe('queue addresses and jobs', () => {
  test('the same request gives the same run ids (a repeated `rollout run --queue` adds nothing); any other run spec gives others', () => {
    const request = {
      taskFile: 'tasks/examples',
      taskIds: ['a__b-1'],
      attempts: 2,
      policySpec: 'openai:gpt-4o',
      outDir: 'runs',
      protocol: { reward: 'binary' } as ProtocolSpec,
      maxTurns: 30,
    };
    const runIds = (changes: Partial<typeof request> & { reposDir?: string } = {}) =>
      rolloutJobs({ ...request, ...changes }).map((job) => job.runId);
    assert.deepEqual(runIds(), runIds());
    assert.deepEqual(runIds({ outDir: resolve('runs') }), runIds(), 'a relative folder is the same folder');
    assert.deepEqual(runIds({ attempts: 3 }).slice(0, 2), runIds(), 'one more attempt adds one run');
    for (const changes of [
      { policySpec: 'openai:gpt-4o-mini' },
      { outDir: 'other-runs' },
      { taskFile: 'tasks/other' },
      { protocol: { reward: 'partial-credit' } },
      { protocol: { reward: 'binary', feedback: { rounds: 1, source: 'tests' as const } } },
      { maxTurns: 31 },
      { reposDir: 'repos' },
    ])
      for (const [index, runId] of runIds(changes).entries())
        assert.notEqual(runId, runIds()[index], JSON.stringify(changes));
  });

  test('redis URLs become connection options; anything else is refused naming --queue', () => {
    assert.deepEqual(
      { ...redisConnection('redis://:s%40cret@10.0.0.5:6380/2') },
      {
        host: '10.0.0.5',
        port: 6380,
        username: undefined,
        password: 's@cret',
        db: 2,
        tls: undefined,
        maxRetriesPerRequest: null,
      },
    );
    assert.equal(redisConnection('redis://localhost').port, 6379);
    assert.throws(
      () => redisConnection('localhost:6379'),
      /--queue: expected redis:\/\/HOST:PORT, rediss:\/\/HOST:PORT or unix:\/\/\/PATH\/TO\/redis.sock, got 'localhost:6379'/,
    );
    assert.throws(() => redisConnection('http://localhost:6379'), /--queue: expected redis:\/\/HOST:PORT/);
    assert.throws(
      () => redisConnection('redis://localhost/two'),
      /the database in 'redis:\/\/localhost\/two' is not a number/,
    );
  });

  test('unix:///PATH names a Redis listening on a socket file of this machine', () => {
    assert.deepEqual(
      { ...redisConnection('unix:///run/redis/redis%20server.sock?db=3') },
      { path: '/run/redis/redis server.sock', db: 3, maxRetriesPerRequest: null },
    );
    assert.equal(redisConnection('unix:///tmp/redis.sock').db, undefined);
    for (const url of ['unix://host/tmp/redis.sock', 'unix:redis.sock', 'unix:///'])
      assert.throws(() => redisConnection(url), /--queue: expected redis:\/\/HOST:PORT/, url);
  });

  test("a job carries the model's settings and the compaction strategy to whichever worker takes it", () => {
    const settings = { temperature: 0.2, maxTokens: 1024, numCtx: 16384, stop: ['END'] };
    const request = {
      taskFile: 't',
      taskIds: ['x'],
      attempts: 1,
      policySpec: 'ollama:qwen2.5-coder:7b',
      outDir: 'o',
      protocol: { reward: 'binary' },
      maxTurns: 5,
      compaction: 'summarize' as const,
      modelSettings: settings,
    };
    const [job] = rolloutJobs(request);
    // Through Redis a job is JSON: what arrives is what was set.
    const arrived = JSON.parse(JSON.stringify(job)) as typeof job;
    assert.deepEqual([arrived.modelSettings, arrived.compaction], [settings, 'summarize']);
    // Other settings are another job: enqueueing them again is not skipped as a duplicate.
    const [cooler] = rolloutJobs({ ...request, modelSettings: { ...settings, temperature: 0.7 } });
    assert.notEqual(cooler.runId, job.runId);
    assert.equal(rolloutJobs(request)[0].runId, job.runId);
  });

  test('one job per (task, attempt), each with its own run id and absolute paths a remote worker can follow', () => {
    const jobs = rolloutJobs({
      taskFile: 'tasks/examples',
      taskIds: ['a__b-1', 'c__d-2'],
      attempts: 2,
      policySpec: 'recorded:tasks/examples',
      outDir: 'runs',
      protocol: { reward: 'binary' },
      maxTurns: 30,
    });
    assert.deepEqual(
      jobs.map((job) => [job.taskId, job.attempt]),
      [
        ['a__b-1', 0],
        ['a__b-1', 1],
        ['c__d-2', 0],
        ['c__d-2', 1],
      ],
    );
    assert.equal(new Set(jobs.map((job) => job.runId)).size, 4);
    assert.match(jobs[1].runId, /^a__b-1\.a1\.[0-9a-f]{12}$/);
    assert.equal(jobs[0].taskFile, resolve('tasks/examples'));
    assert.equal(jobs[0].outDir, resolve('runs'));
    assert.equal(jobs[0].policySpec, `recorded:${resolve('tasks/examples')}`);
    assert.equal(
      rolloutJobs({
        taskFile: 't',
        taskIds: ['x'],
        attempts: 1,
        policySpec: 'openai:gpt-4o',
        outDir: 'o',
        protocol: { reward: 'binary' },
        maxTurns: 1,
      })[0].policySpec,
      'openai:gpt-4o',
    );
    assert.equal(
      rolloutJobs({
        taskFile: 't',
        taskIds: ['x'],
        attempts: 1,
        policySpec: 'openai:gpt-4o',
        outDir: 's3://runs/exp-1',
        protocol: { reward: 'binary' },
        maxTurns: 1,
      })[0].outDir,
      's3://runs/exp-1',
      'a bucket address is kept as it is',
    );
  });

  test('s3:// addresses name a bucket and a folder-like prefix; anything else is refused with the form expected', () => {
    assert.deepEqual(parseS3Url('s3://runs'), { bucket: 'runs', prefix: '' });
    assert.deepEqual(parseS3Url('s3://runs/'), { bucket: 'runs', prefix: '' });
    assert.deepEqual(parseS3Url('s3://runs/exp-1/seed-2/'), { bucket: 'runs', prefix: 'exp-1/seed-2/' });
    assert.throws(() => parseS3Url('s3:/runs'), /expected s3:\/\/BUCKET\[\/PREFIX\], got 's3:\/runs'/);
    assert.equal(isS3Url('s3://runs'), true);
    assert.equal(isS3Url('/srv/runs'), false);
    const staged = new S3ResultStore(parseS3Url('s3://runs/exp-1'), '/tmp/staging');
    assert.equal(staged.localDir, join('/tmp/staging', 'runs', 'exp-1'));
    assert.equal(staged.trajectoryLocation('t.a0.abc123'), 's3://runs/exp-1/t.a0.abc123/trajectory.jsonl');
  });

  test('S3 errors say what to do: a missing bucket, missing or refused credentials', () => {
    const named = (name: string, message = '') => Object.assign(new Error(message), { name });
    assert.equal(
      explainS3Error(named('NoSuchBucket'), 's3://runs/').message,
      's3://runs/: no such bucket; create it first',
    );
    assert.match(
      explainS3Error(named('CredentialsProviderError', 'Could not load credentials from any providers'), 's3://runs/')
        .message,
      /no S3 credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    assert.equal(
      explainS3Error(named('InvalidAccessKeyId'), 's3://runs/').message,
      's3://runs/: the store refused these credentials (InvalidAccessKeyId)',
    );
    assert.equal(
      explainS3Error(Object.assign(named('UnknownError'), { $metadata: { httpStatusCode: 403 } }), 's3://runs/')
        .message,
      's3://runs/: the store refused these credentials (HTTP 403)',
    );
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
    assert.deepEqual(
      [modem('tcp://10.1.2.3:2375').host, modem('tcp://10.1.2.3:2375').port, modem('tcp://10.1.2.3:2375').protocol],
      ['10.1.2.3', '2375', 'http'],
    );
    assert.deepEqual(
      [modem('ssh://ci@builder').host, modem('ssh://ci@builder').protocol, modem('ssh://ci@builder').username],
      ['builder', 'ssh', 'ci'],
    );
    assert.throws(
      () => dockerClient('http://x:1'),
      /docker host http:\/\/x:1: expected unix:\/\/, tcp:\/\/ or ssh:\/\//,
    );
  });
});
