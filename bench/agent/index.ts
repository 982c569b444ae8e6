/**
 * Agent-loop speed in a real Docker sandbox with an instant in-process policy (a replay of trivial bash
 * calls, so model time is ~0):
 * - harness overhead per turn: the turn's wall time less model time, tool execution and the work-tree diff
 *   (a sandbox exec, reported on its own), measured by timing the policy, the toolbox and the sandbox from
 *   outside the loop; cross-checked against the loop's own `durations_ms` and against a baseline in the
 *   same run: the same tool calls made one after another with no loop, recorder or diff around them;
 * - the same with streaming: the policy hands each reply over in pieces (as an SSE stream does) and the loop
 *   keeps the live-turn sidecar current; time spent handling the pieces counts as harness overhead;
 * - 8 rollouts (sandbox, loop, recorder) in parallel against 1: wall-time ratio (1.0 would be perfect).
 * The last line is one JSON object.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunBudget } from '../../src/core/agent/budget';
import { DEFAULT_AGENT_CONFIG } from '../../src/core/agent/config';
import { runAgent } from '../../src/core/agent/loop';
import type { AssistantMessage, Policy, PolicyRequest, PolicyResponse } from '../../src/core/agent/policies/policy';
import { ReplayPolicy } from '../../src/core/agent/policies/replayPolicy';
import { systemPrompt } from '../../src/core/agent/prompts';
import { createDefaultToolbox, type Toolbox } from '../../src/core/agent/tools/toolbox';
import { DockerSandbox } from '../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../src/core/sandbox/images';
import type { Sandbox } from '../../src/core/sandbox/sandbox';
import { readTrajectoryLog } from '../../src/core/trajectory/reader';
import { TrajectoryRecorder } from '../../src/core/trajectory/recorder';

const TURNS = Number(process.env.BENCH_TURNS ?? 40);
const PARALLEL = 8;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function script(turns: number): AssistantMessage[] {
  const call = (index: number, name: string, args: object): AssistantMessage => ({
    role: 'assistant',
    content: null,
    tool_calls: [{ id: `call_${index}`, type: 'function', function: { name, arguments: JSON.stringify(args) } }],
  });
  return [
    ...Array.from({ length: turns - 1 }, (_, index) => call(index, 'bash', { command: 'echo hi' })),
    call(turns, 'submit', {}),
  ];
}

/** A replay that hands each reply over in 8-character pieces first, as a streaming server does. */
class StreamingReplay extends ReplayPolicy {
  override async next(request: PolicyRequest): Promise<PolicyResponse> {
    const response = await super.next(request);
    const { content, tool_calls: calls = [] } = response.message;
    for (let at = 0; at < (content ?? '').length; at += 8)
      request.onDelta?.({ kind: 'content', text: content!.slice(at, at + 8) });
    calls.forEach((call, index) => {
      request.onDelta?.({ kind: 'tool_call', index, id: call.id, name: call.function.name });
      for (let at = 0; at < call.function.arguments.length; at += 8)
        request.onDelta?.({ kind: 'tool_call', index, arguments: call.function.arguments.slice(at, at + 8) });
    });
    return response;
  }
}

/** Time spent in each part of a turn, gathered by wrapping the policy, the toolbox and the sandbox. */
interface Probe {
  turnStarts: number[];
  model: number[];
  tools: number[];
  diff: number[];
}

function instrument(policy: Policy, toolbox: Toolbox, sandbox: Sandbox, probe: Probe): void {
  const next = policy.next.bind(policy);
  policy.next = async (request) => {
    const started = performance.now();
    probe.turnStarts.push(started);
    // The loop's handling of streamed pieces is harness work: timed apart and left out of model time.
    let handling = 0;
    const onDelta = request.onDelta;
    const timed: PolicyRequest = {
      ...request,
      onDelta:
        onDelta &&
        ((delta) => {
          const at = performance.now();
          onDelta(delta);
          handling += performance.now() - at;
        }),
    };
    const response = await next(timed);
    probe.model.push(performance.now() - started - handling);
    return response;
  };
  const call = toolbox.call.bind(toolbox);
  toolbox.call = async (toolCall, context) => {
    const started = performance.now();
    const outcome = await call(toolCall, context);
    probe.tools[probe.turnStarts.length - 1] =
      (probe.tools[probe.turnStarts.length - 1] ?? 0) + performance.now() - started;
    return outcome;
  };
  const diff = sandbox.diff.bind(sandbox);
  sandbox.diff = async () => {
    const started = performance.now();
    const result = await diff();
    probe.diff.push(performance.now() - started);
    return result;
  };
}

async function rollout(
  repo: string,
  outDir: string,
  name: string,
  probe?: Probe,
  streaming = false,
): Promise<{ wallMs: number; path: string }> {
  const started = performance.now();
  const sandbox = await DockerSandbox.create({
    image: imageForProfile('python'),
    repo: { location: repo },
    runId: name,
  });
  const policy = streaming ? new StreamingReplay(script(TURNS), 'bench') : new ReplayPolicy(script(TURNS), 'bench');
  const toolbox = createDefaultToolbox();
  if (probe) instrument(policy, toolbox, sandbox, probe);
  const recorder = await TrajectoryRecorder.start(outDir, {
    run_id: name,
    task_id: 'bench',
    attempt: 0,
    policy: 'replay:bench',
    model: { name: 'bench', parameters: {} },
    tools: toolbox.definitions,
    tool_versions: {},
    started_at: new Date().toISOString(),
  });
  const messages = [
    { role: 'system' as const, content: systemPrompt(sandbox.workdir) },
    { role: 'user' as const, content: 'Say hi.' },
  ];
  const loopEnded = { at: 0 };
  const outcome = await runAgent({
    policy,
    toolbox,
    sandbox,
    recorder,
    config: { ...DEFAULT_AGENT_CONFIG, maxTurns: TURNS },
    budget: new RunBudget(DEFAULT_AGENT_CONFIG),
    messages,
    recordedMessages: 0,
    startDiff: '',
  });
  loopEnded.at = performance.now();
  if (outcome.exitStatus !== 'submitted')
    throw new Error(`bench rollout ended ${outcome.exitStatus}: ${outcome.reason}`);
  if (probe) probe.turnStarts.push(loopEnded.at);
  await recorder.finish({ exit_status: outcome.exitStatus, patch: '', reward: null });
  await sandbox.destroy();
  return { wallMs: performance.now() - started, path: recorder.path };
}

/** The same tool calls with nothing around them: the floor a loop turn cannot go below. */
async function bareCalls(repo: string): Promise<number[]> {
  const sandbox = await DockerSandbox.create({ image: imageForProfile('python'), repo: { location: repo } });
  const toolbox = createDefaultToolbox();
  const samples: number[] = [];
  try {
    for (let index = 0; index < TURNS; index++) {
      const started = performance.now();
      await toolbox.call({ function: { name: 'bash', arguments: '{"command":"echo hi"}' } }, { sandbox });
      samples.push(performance.now() - started);
    }
  } finally {
    await sandbox.destroy();
  }
  return samples;
}

async function main(): Promise<void> {
  const repo = mkdtempSync(join(tmpdir(), 'rollout-bench-agent-repo-'));
  writeFileSync(join(repo, 'main.py'), 'print("hi")\n');
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-bench-agent-'));
  await rollout(repo, outDir, 'warmup'); // warm the checkout cache, the reaper and the code paths

  const probe: Probe = { turnStarts: [], model: [], tools: [], diff: [] };
  const measured = await rollout(repo, outDir, 'measured', probe);
  const turnWall = probe.model.map((_, index) => probe.turnStarts[index + 1] - probe.turnStarts[index]);
  const overhead = harnessOverhead(probe);
  const streamProbe: Probe = { turnStarts: [], model: [], tools: [], diff: [] };
  await rollout(repo, outDir, 'measured-streaming', streamProbe, true);
  const streamingOverhead = harnessOverhead(streamProbe);
  const overheadWithDiff = turnWall.map((wall, index) => wall - probe.model[index] - (probe.tools[index] ?? 0));
  const recorded = (await readTrajectoryLog(measured.path)).trajectory?.turns ?? [];
  const loopRecorded = recorded.map((turn) =>
    turn.durations_ms ? turn.durations_ms.total - turn.durations_ms.model - turn.durations_ms.tools : 0,
  );
  const bare = await bareCalls(repo);
  const harnessVsBare = percentile(turnWall, 50) - percentile(bare, 50);
  console.log(
    `turns: ${TURNS}; turn wall p50 ${percentile(turnWall, 50).toFixed(2)} ms, bare tool call p50 ${percentile(bare, 50).toFixed(2)} ms (baseline)`,
  );
  console.log(
    `model p50 ${percentile(probe.model, 50).toFixed(3)} ms, tools p50 ${percentile(probe.tools, 50).toFixed(2)} ms, work-tree diff p50 ${percentile(probe.diff, 50).toFixed(2)} ms`,
  );
  console.log(
    `harness overhead per turn: p50 ${percentile(overhead, 50).toFixed(2)} ms, p95 ${percentile(overhead, 95).toFixed(2)} ms (with the diff: p50 ${percentile(overheadWithDiff, 50).toFixed(2)} ms; loop's own durations_ms: p50 ${percentile(loopRecorded, 50).toFixed(2)} ms)`,
  );
  console.log(
    `with streaming (each reply in 8-character pieces, the live-turn sidecar kept current): p50 ${percentile(streamingOverhead, 50).toFixed(2)} ms, p95 ${percentile(streamingOverhead, 95).toFixed(2)} ms`,
  );

  const single = await rollout(repo, outDir, 'single');
  const parallelStarted = performance.now();
  await Promise.all(Array.from({ length: PARALLEL }, (_, index) => rollout(repo, outDir, `parallel-${index}`)));
  const parallelMs = performance.now() - parallelStarted;
  console.log(
    `1 rollout: ${single.wallMs.toFixed(0)} ms; ${PARALLEL} in parallel: ${parallelMs.toFixed(0)} ms (ratio ${(parallelMs / single.wallMs).toFixed(2)}; ${PARALLEL} in sequence would be ~${PARALLEL}.0)`,
  );

  console.log(
    JSON.stringify({
      turns: TURNS,
      overhead_p50_ms: Number(percentile(overhead, 50).toFixed(3)),
      overhead_p95_ms: Number(percentile(overhead, 95).toFixed(3)),
      overhead_streaming_p50_ms: Number(percentile(streamingOverhead, 50).toFixed(3)),
      overhead_streaming_p95_ms: Number(percentile(streamingOverhead, 95).toFixed(3)),
      overhead_with_diff_p50_ms: Number(percentile(overheadWithDiff, 50).toFixed(3)),
      loop_recorded_overhead_p50_ms: Number(percentile(loopRecorded, 50).toFixed(3)),
      turn_wall_p50_ms: Number(percentile(turnWall, 50).toFixed(3)),
      baseline_bare_tool_call_p50_ms: Number(percentile(bare, 50).toFixed(3)),
      harness_vs_baseline_p50_ms: Number(harnessVsBare.toFixed(3)),
      diff_p50_ms: Number(percentile(probe.diff, 50).toFixed(3)),
      single_rollout_ms: Math.round(single.wallMs),
      parallel8_ms: Math.round(parallelMs),
      parallel8_vs_1_ratio: Number((parallelMs / single.wallMs).toFixed(3)),
      target_overhead_ms: 5,
    }),
  );
}

/** Each turn's wall time less model time, tool execution and the work-tree diff. */
function harnessOverhead(probe: Probe): number[] {
  return probe.model.map(
    (model, index) =>
      probe.turnStarts[index + 1] - probe.turnStarts[index] - model - (probe.tools[index] ?? 0) - probe.diff[index],
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
