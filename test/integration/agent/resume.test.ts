/**
 * A run stopped after some step and resumed has exactly the turns of a run that was never stopped: for every
 * protocol (SWE, SWE with test feedback, CodeAssistBench) and every kind of agent policy (an OpenAI-compatible
 * server, an Anthropic server, recorded:FILE, recorded:DIR). The stop is the one a killed process leaves: the log
 * ends at a whole line and has no run_finished (a lease check refuses the next write, as a queue worker's does
 * when another took its job over); the resume starts from fresh policy objects, as a new process would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { policyResolver } from '../../../src/core/agent/batch';
import { AnthropicPolicy } from '../../../src/core/agent/policies/anthropicPolicy';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import type { Policy } from '../../../src/core/agent/policies/policy';
import type { ProtocolSpec } from '../../../src/core/agent/protocols/protocol';
import { runRollout, type RolloutSummary } from '../../../src/core/agent/rollout';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import type { Task } from '../../../src/core/task/task';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { LeaseLostError } from '../../../src/core/trajectory/recorder';
import type { Trajectory, TrajectoryEvent } from '../../../src/core/trajectory/types';
import { cabTaskOn, localSmolagentsRepo, smolagentsRow } from '../../support/cabTasks';
import { ScriptedAnthropicServer } from '../../support/scriptedAnthropicServer';
import { ScriptedOpenAIServer, step, type RecordedRequest, type ScriptStep } from '../../support/scriptedOpenAIServer';

const TASKS = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples');
const KEY = 'sk-test-resume0123456789abcdefABCDEF';
const PAGINATOR = 'pagekit/paginator.py';

type Call = { name: string; arguments: Record<string, unknown> };
/** What the agent does at each of its turns: tool calls, or (a conversation's answer) text. */
type Plan = Array<Call[] | string>;

const SWE_PLAN: Plan = [
  [{ name: 'view', arguments: { path: PAGINATOR, start_line: 40, end_line: 52 } }],
  [
    {
      name: 'edit',
      arguments: {
        command: 'str_replace',
        path: PAGINATOR,
        old_str: 'return self.count // self.per_page + 1',
        new_str: 'return -(-self.count // self.per_page)',
      },
    },
  ],
  [{ name: 'bash', arguments: { command: 'python3 -c "import pagekit"' } }],
  [{ name: 'submit', arguments: { summary: 'ceil division' } }],
];

/** A first submission that breaks an existing test, then the fix after the tests' feedback. */
const FEEDBACK_PLAN: Plan = [
  [
    {
      name: 'edit',
      arguments: {
        command: 'str_replace',
        path: PAGINATOR,
        old_str: 'return self.count // self.per_page + 1',
        new_str: 'return self.count // self.per_page',
      },
    },
  ],
  [{ name: 'submit', arguments: { summary: 'floor division' } }],
  [
    {
      name: 'edit',
      arguments: {
        command: 'str_replace',
        path: PAGINATOR,
        old_str: 'return self.count // self.per_page\n',
        new_str: 'return -(-self.count // self.per_page)\n',
      },
    },
  ],
  [{ name: 'submit', arguments: { summary: 'ceil division' } }],
];

const CAB_PLAN: Plan = [
  [{ name: 'bash', arguments: { command: 'grep -n context smolagents/tools.py' } }],
  'Call agent.run outside the with block.',
  [{ name: 'bash', arguments: { command: 'grep -n stop smolagents/tools.py' } }],
  'Call agent.run inside the `with ToolCollection.from_mcp(...)` block: the server stops when the block exits.',
];

/**
 * A deterministic model, like one at temperature 0: its answer depends only on the conversation it is sent (here,
 * on how many of its answers that conversation holds), so a resumed run that sends the same conversation gets the
 * same answer a run that never stopped got.
 */
function deterministicSteps(
  plan: Plan,
  answersSoFar: (request: RecordedRequest) => number,
  idPrefix: string,
): ScriptStep[] {
  return Array.from({ length: 40 }, () =>
    step.dynamic((request) => {
      const turn = answersSoFar(request);
      const planned = plan[turn];
      if (planned === undefined) return step.httpError(400, { message: `the plan has no turn ${turn}` });
      if (typeof planned === 'string') return step.text(planned);
      return step.toolCalls(planned.map((call, i) => ({ ...call, id: `${idPrefix}_${turn}_${i}` })));
    }),
  );
}

const assistantCount = (request: RecordedRequest) =>
  ((request.body?.messages as { role: string }[] | undefined) ?? []).filter((message) => message.role === 'assistant')
    .length;

/** The simulated user: not satisfied with the first answer, satisfied with the second. */
function userSteps(): ScriptStep[] {
  return Array.from({ length: 40 }, () =>
    step.dynamic((request) => {
      const rounds = (JSON.stringify(request.body?.messages).match(/<maintainer>/g) ?? []).length;
      return rounds < 2
        ? step.text('That cannot be right: it is already outside.\n\nSATISFACTION_STATUS: NOT_SATISFIED\nREASON: wrong')
        : step.text('That works now, thanks!\n\nSATISFACTION_STATUS: FULLY_SATISFIED\nREASON: all met');
    }),
  );
}

/**
 * What differs from one run of the same conversation to the next: how long tests took (`3 passed in 0.05s`),
 * where Python put an object (`at 0x7f…`), and the model's name as graded predictions carry it.
 */
const withoutTimings = (value: unknown) =>
  JSON.parse(
    JSON.stringify(value)
      .replace(/\b\d+(\.\d+)?\s?(ms|s|sec|seconds)\b/g, '<time>')
      .replace(/\b0x[0-9a-f]+\b/g, '<address>')
      .replace(/"model_name_or_path":"[^"]*"/g, '"model_name_or_path":"<policy>"'),
  ) as unknown;

/** A turn as a resumed run must reproduce it: what was said, done and seen (not when, nor how fast). */
function comparable(trajectory: Trajectory) {
  return withoutTimings(
    trajectory.turns.map((turn) => ({
      index: turn.index,
      messages: turn.messages,
      observations: turn.observations,
      diff: turn.diff,
      signals: turn.signals,
    })),
  );
}

/** The protocol's own steps, in order, without their timings. */
function protocolSteps(trajectory: Trajectory) {
  return trajectory.events
    .filter((event) => !['resumed', 'compaction'].includes(event.kind))
    .map((event) => {
      // What a protocol model spent, and the tests' raw log, differ from run to run.
      const data = { ...event.data };
      for (const key of ['usage', 'model_ms', 'log_tail']) delete data[key];
      // A recorded-actions policy reports no model of its own: the cost notice names none.
      if (event.kind === 'cost_unknown') for (const key of ['model', 'message']) delete data[key];
      return withoutTimings({ kind: event.kind, after_turn: event.after_turn, data });
    });
}

interface Protocol {
  name: string;
  plan: Plan;
  spec: (user: ScriptedOpenAIServer, judge: ScriptedOpenAIServer) => ProtocolSpec;
  task: () => Promise<Task>;
  /** The line (of the uninterrupted log) after which the run is stopped. */
  stopAfter: (event: TrajectoryEvent, index: number) => boolean;
}

describe('a run stopped after any step and resumed has exactly the turns of an uninterrupted run (real Docker, local OpenAI and Anthropic wire-protocol test doubles)', () => {
  let outDir: string;
  let pagekit: Task;
  let cab: Task;
  const servers: { close(): Promise<void> }[] = [];

  before(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'rollout-resume-'));
    pagekit = (await loadTasksStrict(join(TASKS, 'pagekit__pagekit-14')))[0];
    cab = cabTaskOn(smolagentsRow(), localSmolagentsRepo());
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  const protocols: Protocol[] = [
    {
      name: 'SWE',
      plan: SWE_PLAN,
      spec: () => ({ reward: 'binary' }),
      task: async () => pagekit,
      stopAfter: (line) => line.type === 'turn' && line.turn.index === 1,
    },
    {
      name: 'SWE with test feedback',
      plan: FEEDBACK_PLAN,
      spec: () => ({ reward: 'binary', feedback: { rounds: 2, source: 'tests' } }),
      task: async () => pagekit,
      // Right after the feedback: the resumed run must hand it to the agent, as the first message of its next turn.
      stopAfter: (line) => line.type === 'event' && line.event.kind === 'feedback',
    },
    {
      name: 'CodeAssistBench',
      plan: CAB_PLAN,
      spec: (user, judge) => ({
        reward: 'binary',
        cab: {
          userPolicySpec: `openai:u@${user.baseURL}`,
          judgePolicySpec: `openai:j@${judge.baseURL}`,
          userRounds: 10,
        },
      }),
      task: async () => cab,
      stopAfter: (line) => line.type === 'event' && line.event.kind === 'user_feedback',
    },
  ];

  for (const protocol of protocols) {
    describe(protocol.name, () => {
      let reference: { summary: RolloutSummary; trajectory: Trajectory; spec: ProtocolSpec };
      let user: ScriptedOpenAIServer;
      let judge: ScriptedOpenAIServer;

      before(async () => {
        user = await ScriptedOpenAIServer.start(userSteps());
        judge = await ScriptedOpenAIServer.start(Array.from({ length: 40 }, () => step.text('VERDICT: CORRECT')));
        servers.push(user, judge);
      });

      async function rollout(
        task: Task,
        spec: ProtocolSpec,
        policy: () => Promise<Policy>,
        policySpec: string,
        run: { runId?: string; resume?: boolean; stopAtWrite?: number },
      ): Promise<RolloutSummary | LeaseLostError> {
        let writes = 0;
        return runRollout({
          task,
          policy: await policy(),
          policySpec,
          toolbox: createDefaultToolbox(),
          protocol: spec,
          createPolicy: async (name) =>
            new OpenAIPolicy({
              model: 'scripted',
              baseURL: name.includes(user.baseURL) ? user.baseURL : judge.baseURL,
              apiKey: KEY,
              settings: { temperature: 0 },
            }),
          outDir,
          runId: run.runId,
          resume: run.resume,
          evaluator: { createSandbox: (sandbox) => DockerSandbox.create(sandbox), imageForProfile },
          createSandbox: (sandbox) => DockerSandbox.create(sandbox),
          recordHooks: {
            beforeWrite: async () => {
              writes += 1;
              if (run.stopAtWrite !== undefined && writes >= run.stopAtWrite)
                throw new LeaseLostError('stopped here, as a killed process would be');
            },
          },
        }).catch((error: unknown) => {
          if (error instanceof LeaseLostError) return error;
          throw error;
        });
      }

      /** Runs with a stop after the protocol's chosen line, then resumes; returns the resumed record. */
      async function stopAndResume(
        task: Task,
        spec: ProtocolSpec,
        policy: () => Promise<Policy>,
        policySpec: string,
        stopAtWrite: number,
      ) {
        const runId = `${protocol.name.replace(/\W+/g, '-')}-${policySpec.split(':')[0]}-${Math.random().toString(16).slice(2, 8)}`;
        const stopped = await rollout(task, spec, policy, policySpec, { runId, stopAtWrite });
        assert.ok(stopped instanceof LeaseLostError, 'the first process stopped mid-run');
        const partial = (await readTrajectoryLog(join(outDir, runId, 'trajectory.jsonl'))).trajectory;
        assert.ok(partial && !partial.result, 'it left an unfinished record');
        const resumed = await rollout(task, spec, policy, policySpec, { runId, resume: true });
        assert.ok(!(resumed instanceof LeaseLostError));
        const { trajectory, problems } = await readTrajectoryLog(resumed.path);
        assert.deepEqual(problems, []);
        assert.ok(trajectory);
        assert.equal(trajectory.events.filter((event) => event.kind === 'resumed').length, 1);
        return { summary: resumed, trajectory, partial };
      }

      /** Which write of the uninterrupted log comes after the protocol's chosen line. */
      function stopWrite(trajectoryPath: string): number {
        const lines = readFileSync(trajectoryPath, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as TrajectoryEvent);
        const index = lines.findIndex(protocol.stopAfter);
        assert.ok(index > 0, 'the uninterrupted run has the line to stop after');
        return index + 2;
      }

      function assertSameRun(
        resumed: { summary: RolloutSummary; trajectory: Trajectory },
        uninterrupted: { summary: RolloutSummary; trajectory: Trajectory },
      ) {
        assert.deepEqual(comparable(resumed.trajectory), comparable(uninterrupted.trajectory), 'the same turns');
        assert.deepEqual(
          protocolSteps(resumed.trajectory),
          protocolSteps(uninterrupted.trajectory),
          'the same protocol steps',
        );
        assert.equal(resumed.summary.exitStatus, uninterrupted.summary.exitStatus);
        assert.equal(resumed.summary.reward, uninterrupted.summary.reward);
        assert.deepEqual(resumed.summary.rounds, uninterrupted.summary.rounds);
      }

      test('an OpenAI-compatible server', async () => {
        const task = await protocol.task();
        const spec = protocol.spec(user, judge);
        const agent = await ScriptedOpenAIServer.start(deterministicSteps(protocol.plan, assistantCount, 'call'), {
          apiKey: KEY,
        });
        servers.push(agent);
        const policy = async () => new OpenAIPolicy({ model: 'scripted', baseURL: agent.baseURL, apiKey: KEY });
        const policySpec = `openai:scripted@${agent.baseURL}`;
        const summary = (await rollout(task, spec, policy, policySpec, {})) as RolloutSummary;
        const { trajectory } = await readTrajectoryLog(summary.path);
        assert.ok(trajectory);
        assert.equal(summary.reward, 1, summary.reason);
        reference = { summary, trajectory, spec };
        const resumed = await stopAndResume(task, spec, policy, policySpec, stopWrite(summary.path));
        assertSameRun(resumed, reference);
      });

      test('an Anthropic server', async () => {
        const task = await protocol.task();
        const agent = await ScriptedAnthropicServer.start(deterministicSteps(protocol.plan, assistantCount, 'toolu'), {
          apiKey: KEY,
        });
        servers.push(agent);
        const policy = async () => new AnthropicPolicy({ model: 'scripted', baseURL: agent.baseURL, apiKey: KEY });
        const policySpec = `anthropic:scripted@${agent.baseURL}`;
        const uninterrupted = (await rollout(task, reference.spec, policy, policySpec, {})) as RolloutSummary;
        const { trajectory } = await readTrajectoryLog(uninterrupted.path);
        assert.ok(trajectory);
        const resumed = await stopAndResume(task, reference.spec, policy, policySpec, stopWrite(uninterrupted.path));
        assertSameRun(resumed, { summary: uninterrupted, trajectory });
      });

      for (const kind of ['recorded:FILE', 'recorded:DIR'] as const) {
        test(`${kind}, replaying the uninterrupted run`, async () => {
          const task = await protocol.task();
          const policySpec =
            kind === 'recorded:FILE'
              ? `recorded:${reference.summary.path}`
              : `recorded:${dirname(dirname(reference.summary.path))}/${reference.summary.runId}`;
          // A resumed process makes its policy again, as `rollout run --resume` does.
          const policy = async () => (await policyResolver(policySpec))(task, 0);
          const resumed = await stopAndResume(
            task,
            reference.spec,
            policy,
            policySpec,
            stopWrite(reference.summary.path),
          );
          assertSameRun(resumed, reference);
        });
      }
    });
  }
});
