import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reexecuteTrajectory, sandboxSpecOf } from '../../../src/core/agent/reexecute';
import { Toolbox } from '../../../src/core/agent/tools/toolbox';
import type { ExecOptions, SandboxSpec } from '../../../src/core/sandbox/sandbox';
import { fakeSandbox } from '../../support/fakeSandbox';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { sampleRun } from '../trajectory/sampleTrajectory';

function recordedOn(location: string): Trajectory {
  return {
    run: {
      ...sampleRun('moved-run'),
      extra: { repo: { location, commit: 'a1b2c3d4' }, workdir: '/work/repo', install: ['pip install -e .'] },
    },
    turns: [],
    events: [],
  };
}

test('a run recorded on a folder this machine lacks names it and the way out; --repo moves it, keeping the commit', () => {
  const elsewhere = '/srv/worker-7/cache/repos/acme__calc';
  assert.throws(
    () => sandboxSpecOf(recordedOn(elsewhere)),
    /run moved-run was recorded on \/srv\/worker-7\/cache\/repos\/acme__calc, which is not on this machine; give the repository's folder here \(rollout reexecute --repo DIR\), at commit a1b2c3d4/,
  );
  const here = mkdtempSync(join(tmpdir(), 'reexecute-repo-'));
  assert.deepEqual(sandboxSpecOf(recordedOn(elsewhere), here), {
    image: 'rollout-studio/python:abc123',
    repo: { location: here, commit: 'a1b2c3d4' },
    workdir: '/work/repo',
    install: ['pip install -e .'],
  });
  assert.equal(
    sandboxSpecOf(recordedOn('https://github.com/acme/calc.git')).repo?.location,
    'https://github.com/acme/calc.git',
    'a remote repository is cloned wherever the re-execution runs',
  );
  const hidden = recordedOn(here);
  hidden.run.extra = { ...hidden.run.extra, hidden_image_history: true };
  assert.equal(
    sandboxSpecOf(hidden, here).hideImageHistory,
    true,
    "the image's other repositories hidden as they were",
  );
  assert.equal(sandboxSpecOf(recordedOn(here)).hideImageHistory, undefined);
});

test("a cancelled re-execution stops its sandbox's start and its install command, each given the signal", async () => {
  const here = mkdtempSync(join(tmpdir(), 'reexecute-repo-'));
  const trajectory = recordedOn(here);
  const cancel = new AbortController();
  let spec: SandboxSpec | undefined;
  let install: ExecOptions | undefined;
  let destroyed = false;
  const sandbox = fakeSandbox({
    async exec(_command, options) {
      install = options;
      cancel.abort(new Error('cancelled'));
      options?.signal?.throwIfAborted();
      return { exitCode: 0, stdout: '', stderr: '', truncated: false, timedOut: false, durationMs: 1 };
    },
    async destroy() {
      destroyed = true;
    },
  });
  const creating = async (given: SandboxSpec) => {
    spec = given;
    return sandbox;
  };
  await assert.rejects(
    reexecuteTrajectory(trajectory, creating, new Toolbox([]), { signal: cancel.signal }),
    /cancelled/,
  );
  assert.equal(spec?.signal, cancel.signal, 'the sandbox start can be cancelled (an image pull or build)');
  assert.equal(install?.signal, cancel.signal, 'the install command can be cancelled');
  assert.equal(destroyed, true);
});
