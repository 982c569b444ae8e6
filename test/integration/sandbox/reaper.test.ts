import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { after, describe, test } from 'node:test';
import { dockerClient, LABELS, ownerLabels, TOOL_NAME } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { processStart } from '../../../src/core/processOwner';
import { reapOrphans } from '../../../src/core/sandbox/reaper';

/** Creates (without starting) a container carrying `labels`, as a sandbox of their owner would. */
async function containerLabelled(labels: Record<string, string>): Promise<string> {
  const container = await dockerClient().createContainer({
    Image: imageForProfile('python'),
    Cmd: ['true'],
    Labels: labels,
  });
  return container.id;
}

async function exists(id: string): Promise<boolean> {
  try {
    await dockerClient().getContainer(id).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

describe('the reaper tells a process from an earlier one with the same pid', () => {
  const made: string[] = [];
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  after(async () => {
    sleeper.kill();
    await Promise.all(
      made.map((id) =>
        dockerClient()
          .getContainer(id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  });

  test("containers naming a live pid but another start (a restarted worker's PID 1, a reused pid) are reaped, and before start labels, this process's pid too", async () => {
    const ownStart = processStart(process.pid);
    const sleeperPid = sleeper.pid ?? 0;
    const sleeperStart = processStart(sleeperPid);
    assert.ok(ownStart && sleeperStart, 'this test needs Linux /proc');
    const owner = (pid: number, start?: string) => ({
      [LABELS.tool]: TOOL_NAME,
      [LABELS.ownerHost]: hostname(),
      [LABELS.ownerPid]: String(pid),
      ...(start ? { [LABELS.ownerStart]: start } : {}),
      [LABELS.runId]: 'reaper-incarnation-test',
    });
    const expected = {
      mine: { labels: ownerLabels('reaper-incarnation-test'), kept: true },
      earlierProcessWithMyPid: { labels: owner(process.pid, '1@an-earlier-boot'), kept: false },
      myPidBeforeStartLabels: { labels: owner(process.pid), kept: false },
      liveOtherProcess: { labels: owner(sleeperPid, sleeperStart), kept: true },
      earlierProcessWithItsPid: { labels: owner(sleeperPid, '1@an-earlier-boot'), kept: false },
      itsPidBeforeStartLabels: { labels: owner(sleeperPid), kept: true },
    };
    const ids = Object.fromEntries(
      await Promise.all(
        Object.entries(expected).map(async ([name, { labels }]) => {
          const id = await containerLabelled(labels);
          made.push(id);
          return [name, id] as const;
        }),
      ),
    );
    await reapOrphans(dockerClient());
    const kept = Object.fromEntries(
      await Promise.all(Object.keys(expected).map(async (name) => [name, await exists(ids[name])] as const)),
    );
    assert.deepEqual(kept, Object.fromEntries(Object.entries(expected).map(([name, { kept }]) => [name, kept])));
  });
});
