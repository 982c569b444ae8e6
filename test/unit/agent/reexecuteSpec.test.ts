import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxSpecOf } from '../../../src/core/agent/reexecute';
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
});
