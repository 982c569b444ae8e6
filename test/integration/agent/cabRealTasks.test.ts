/**
 * Every row of the real CodeAssistBench release (cab_verified_lenient.jsonl, 54 issues in C, C++, C#, Java,
 * JavaScript, Python and TypeScript, 7 with a Dockerfile) loads and runs through the protocol: a sandbox in its
 * environment, the agent's answer, the simulated user's reply, the judge's verdict. The repositories cannot be
 * cloned here, so each row runs on a small local repository; the Dockerfiles need the network to build, so those
 * rows run in their language profile image (`dockerfileFallback`).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBatch } from '../../../src/core/agent/batch';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { loadTasks } from '../../../src/core/task/loadTasks';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { CAB_FIXTURES, localSmolagentsRepo } from '../../support/cabTasks';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';

test('every row of the real CodeAssistBench file loads and runs through the protocol: sandbox, answer, user reply, verdict (real Docker, agent, user and judge on local OpenAI wire-protocol test doubles)', async () => {
  const loaded = await loadTasks(join(CAB_FIXTURES, 'cab_verified_lenient.jsonl'));
  assert.deepEqual(loaded.errors, []);
  assert.equal(loaded.tasks.length, 54);
  const repo = localSmolagentsRepo();
  const tasks = loaded.tasks.map((task) => ({ ...task, repo: { location: repo.location, commit: repo.commit } }));
  const forever = <T>(make: () => T) => Array.from({ length: 200 }, make);
  const [agent, user, judge] = await Promise.all([
    ScriptedOpenAIServer.start(forever(() => step.text('Here is how to do it, with the steps in order.'))),
    ScriptedOpenAIServer.start(
      forever(() => step.text('Thanks!\n\nSATISFACTION_STATUS: FULLY_SATISFIED\nREASON: met')),
    ),
    ScriptedOpenAIServer.start(forever(() => step.text('VERDICT: CORRECT'))),
  ]);
  try {
    const { summaries, totals } = await runBatch({
      tasks,
      policySpec: `openai:scripted@${agent.baseURL}`,
      policyOptions: { openai: { apiKey: 'none' } },
      attempts: 1,
      workers: 2,
      outDir: mkdtempSync(join(tmpdir(), 'cab-real-')),
      protocol: {
        reward: 'binary',
        cab: {
          userPolicySpec: `openai:user@${user.baseURL}`,
          judgePolicySpec: `openai:judge@${judge.baseURL}`,
          userRounds: 10,
          dockerfileFallback: true,
        },
      },
      createPolicy: async (spec) =>
        new OpenAIPolicy({
          model: 'scripted',
          baseURL: spec.includes(user.baseURL) ? user.baseURL : judge.baseURL,
          apiKey: 'none',
        }),
      evaluator: { createSandbox: (spec) => DockerSandbox.create(spec), imageForProfile },
    });
    const failed = summaries.filter((summary) => summary.exitStatus !== 'submitted' || summary.reward !== 1);
    assert.deepEqual(
      failed.map((summary) => `${summary.taskId}: ${summary.exitStatus} ${summary.reason ?? ''}`),
      [],
      'every row ran to a verdict',
    );
    assert.equal(totals.meanReward, 1);
    assert.equal(user.completionRequests.length, 54);
    assert.equal(judge.completionRequests.length, 54);
    // Over the wire, for every row: the user had the conditions and none of the thread; the judge had the thread.
    for (const task of tasks) {
      const title = JSON.stringify(task.cab!.title).slice(1, -1);
      const toUser = user.completionRequests
        .map((request) => JSON.stringify(request.body))
        .find((body) => body.includes(title));
      const toJudge = judge.completionRequests
        .map((request) => JSON.stringify(request.body))
        .find((body) => body.includes(title));
      assert.ok(toUser && toJudge, `${task.id}: the user and the judge were asked`);
      for (const condition of task.cab!.satisfactionConditions)
        assert.ok(toUser.includes(JSON.stringify(condition).slice(1, -1)), `${task.id}: the user knows "${condition}"`);
      for (const comment of task.cab!.comments) {
        const body = JSON.stringify(comment.body.trim()).slice(1, -1);
        if (comment.body.trim().length < 20 || task.problemStatement.includes(comment.body.trim())) continue;
        assert.ok(!toUser.includes(body), `${task.id}: the user never sees ${comment.user}'s comment`);
        assert.ok(toJudge.includes(body), `${task.id}: the judge reads ${comment.user}'s comment`);
      }
    }
    const withDockerfile = tasks.filter((task) => task.cab?.dockerfile);
    assert.equal(withDockerfile.length, 7);
    for (const task of withDockerfile) {
      const summary = summaries.find((candidate) => candidate.taskId === task.id)!;
      const { trajectory } = await readTrajectoryLog(summary.path);
      assert.ok(
        trajectory?.events.some((event) => event.kind === 'dockerfile_fallback'),
        `${task.id}: its Dockerfile could not build offline and the run says so`,
      );
    }
  } finally {
    await Promise.all([agent.close(), user.close(), judge.close()]);
  }
});
