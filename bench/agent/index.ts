/**
 * Agent-loop speed in a real Docker sandbox with an instant in-process policy (a recording of trivial bash
 * calls, so model time is ~0):
 * - harness overhead per turn: the turn's wall time less model time, tool execution and the work-tree diff
 *   (a sandbox exec, reported on its own), measured by timing the policy, the toolbox and the sandbox from
 *   outside the loop; cross-checked against the loop's own `durations_ms` and against a baseline in the
 *   same run: the same tool calls made one after another with no loop, recorder or diff around them;
 * - the same with streaming: the policy hands each reply over in pieces (as an SSE stream does) and the loop
 *   keeps the live-turn sidecar current; time spent handling the pieces counts as harness overhead;
 * - 8 rollouts (sandbox, loop, recorder) in parallel against 1: wall-time ratio (1.0 would be perfect).
 * Every overhead is also measured in this process's CPU time (user + system, all its threads) over the same
 * spans, less the same parts: on a loaded machine a turn's wall time also counts the time the process waits
 * for a core, its CPU time does not. The bare tool calls' CPU time is the baseline for it, and the load
 * average during the run is printed with the figures. The last line is one JSON object.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunBudget } from '../../src/core/agent/budget';
import { DEFAULT_AGENT_CONFIG } from '../../src/core/agent/config';
import { runAgent } from '../../src/core/agent/loop';
import type { AssistantMessage, Policy, PolicyRequest, PolicyResponse } from '../../src/core/agent/policies/policy';
import { RecordedPolicy } from '../../src/core/agent/policies/recordedPolicy';
import { systemPrompt } from '../../src/core/agent/prompts';
import { createDefaultToolbox, type Toolbox } from '../../src/core/agent/tools/toolbox';
import { DockerSandbox } from '../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../src/core/sandbox/images';
import type { Sandbox } from '../../src/core/sandbox/sandbox';
import { readTrajectoryLog } from '../../src/core/trajectory/reader';
import { TrajectoryRecorder } from '../../src/core/trajectory/recorder';

const TURNS = Number(process.env.BENCH_TURNS ?? 40);
const PARALLEL = 8;

/** A percentile of the samples taken (a turn without a diff has none). */
function percentile(samples: number[], p: number): number {
  const sorted = samples.filter((sample) => sample !== undefined).sort((a, b) => a - b);
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

/** A recorded policy that hands each reply over in 8-character pieces first, as a streaming server does. */
class StreamingRecordedPolicy extends RecordedPolicy {
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

/** This process's CPU time so far (user + system, every thread), in milliseconds. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** One clock's time in each part of a turn. */
interface Spans {
  turnStarts: number[];
  model: number[];
  tools: number[];
  diff: number[];
}

/**
 * Time spent in each part of a turn, gathered by wrapping the policy, the toolbox and the sandbox: on the wall
 * clock and in this process's CPU time.
 */
interface Probe {
  wall: Spans;
  cpu: Spans;
}

const newProbe = (): Probe => ({
  wall: { turnStarts: [], model: [], tools: [], diff: [] },
  cpu: { turnStarts: [], model: [], tools: [], diff: [] },
});

/** Both clocks' readings at one moment. */
interface Clocks {
  wall: number;
  cpu: number;
}
const clocks = (): Clocks => ({ wall: performance.now(), cpu: cpuMs() });

function instrument(policy: Policy, toolbox: Toolbox, sandbox: Sandbox, probe: Probe): void {
  const turn = () => probe.wall.turnStarts.length - 1;
  const next = policy.next.bind(policy);
  policy.next = async (request) => {
    const started = clocks();
    probe.wall.turnStarts.push(started.wall);
    probe.cpu.turnStarts.push(started.cpu);
    // The loop's handling of streamed pieces is harness work: timed apart and left out of model time.
    const handling = { wall: 0, cpu: 0 };
    const onDelta = request.onDelta;
    const timed: PolicyRequest = {
      ...request,
      onDelta:
        onDelta &&
        ((delta) => {
          const at = clocks();
          onDelta(delta);
          handling.wall += performance.now() - at.wall;
          handling.cpu += cpuMs() - at.cpu;
        }),
    };
    const response = await next(timed);
    probe.wall.model.push(performance.now() - started.wall - handling.wall);
    probe.cpu.model.push(cpuMs() - started.cpu - handling.cpu);
    return response;
  };
  const call = toolbox.call.bind(toolbox);
  toolbox.call = async (toolCall, context) => {
    const started = clocks();
    const outcome = await call(toolCall, context);
    probe.wall.tools[turn()] = (probe.wall.tools[turn()] ?? 0) + performance.now() - started.wall;
    probe.cpu.tools[turn()] = (probe.cpu.tools[turn()] ?? 0) + cpuMs() - started.cpu;
    return outcome;
  };
  const diff = sandbox.diff.bind(sandbox);
  sandbox.diff = async () => {
    const started = clocks();
    const result = await diff();
    probe.wall.diff[turn()] = (probe.wall.diff[turn()] ?? 0) + performance.now() - started.wall;
    probe.cpu.diff[turn()] = (probe.cpu.diff[turn()] ?? 0) + cpuMs() - started.cpu;
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
  const policy = streaming
    ? new StreamingRecordedPolicy(script(TURNS), 'bench')
    : new RecordedPolicy(script(TURNS), 'bench');
  const toolbox = createDefaultToolbox();
  if (probe) instrument(policy, toolbox, sandbox, probe);
  const recorder = await TrajectoryRecorder.start(outDir, {
    run_id: name,
    task_id: 'bench',
    attempt: 0,
    policy: 'recorded:bench',
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
  if (probe) {
    probe.wall.turnStarts.push(loopEnded.at);
    probe.cpu.turnStarts.push(cpuMs());
  }
  await recorder.finish({ exit_status: outcome.exitStatus, patch: '', reward: null });
  await sandbox.destroy();
  return { wallMs: performance.now() - started, path: recorder.path };
}

/** The same tool calls with nothing around them: the floor a loop turn cannot go below (wall and CPU). */
async function bareCalls(repo: string): Promise<{ wall: number[]; cpu: number[] }> {
  const sandbox = await DockerSandbox.create({ image: imageForProfile('python'), repo: { location: repo } });
  const toolbox = createDefaultToolbox();
  const samples = { wall: [] as number[], cpu: [] as number[] };
  try {
    for (let index = 0; index < TURNS; index++) {
      const started = clocks();
      await toolbox.call({ function: { name: 'bash', arguments: '{"command":"echo hi"}' } }, { sandbox });
      samples.wall.push(performance.now() - started.wall);
      samples.cpu.push(cpuMs() - started.cpu);
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

  const load: number[] = [loadavg()[0]];
  const probe = newProbe();
  const measured = await rollout(repo, outDir, 'measured', probe);
  const turnWall = turnTimes(probe.wall);
  const turnCpu = turnTimes(probe.cpu);
  const overhead = harnessOverhead(probe.wall);
  const overheadCpu = harnessOverhead(probe.cpu);
  load.push(loadavg()[0]);
  const streamProbe = newProbe();
  await rollout(repo, outDir, 'measured-streaming', streamProbe, true);
  const streamingOverhead = harnessOverhead(streamProbe.wall);
  const streamingOverheadCpu = harnessOverhead(streamProbe.cpu);
  const overheadWithDiff = turnWall.map(
    (wall, index) => wall - probe.wall.model[index] - (probe.wall.tools[index] ?? 0),
  );
  const recorded = (await readTrajectoryLog(measured.path)).trajectory?.turns ?? [];
  const loopRecorded = recorded.map((turn) =>
    turn.durations_ms ? turn.durations_ms.total - turn.durations_ms.model - turn.durations_ms.tools : 0,
  );
  const bare = await bareCalls(repo);
  load.push(loadavg()[0]);
  const p50 = (samples: number[]) => percentile(samples, 50).toFixed(2);
  const p95 = (samples: number[]) => percentile(samples, 95).toFixed(2);
  const harnessVsBare = percentile(turnWall, 50) - percentile(bare.wall, 50);
  console.log(
    `turns: ${TURNS}; load average (1 min) ${load.map((value) => value.toFixed(1)).join(' → ')} on ${availableParallelism()} cores`,
  );
  console.log(
    `turn wall p50 ${p50(turnWall)} ms, bare tool call p50 ${p50(bare.wall)} ms (baseline); CPU: turn p50 ${p50(turnCpu)} ms, bare tool call p50 ${p50(bare.cpu)} ms`,
  );
  console.log(
    `model p50 ${percentile(probe.wall.model, 50).toFixed(3)} ms, tools p50 ${p50(probe.wall.tools)} ms, work-tree diff p50 ${p50(probe.wall.diff)} ms (CPU: tools ${p50(probe.cpu.tools)} ms, diff ${p50(probe.cpu.diff)} ms)`,
  );
  console.log(
    `harness overhead per turn, wall: p50 ${p50(overhead)} ms, p95 ${p95(overhead)} ms (with the diff: p50 ${p50(overheadWithDiff)} ms; loop's own durations_ms: p50 ${p50(loopRecorded)} ms)`,
  );
  console.log(`harness overhead per turn, CPU time: p50 ${p50(overheadCpu)} ms, p95 ${p95(overheadCpu)} ms`);
  console.log(
    `with streaming (each reply in 8-character pieces, the live-turn sidecar kept current): wall p50 ${p50(streamingOverhead)} ms, p95 ${p95(streamingOverhead)} ms; CPU time p50 ${p50(streamingOverheadCpu)} ms, p95 ${p95(streamingOverheadCpu)} ms`,
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
      load_average_1m: load.map((value) => Number(value.toFixed(2))),
      cores: availableParallelism(),
      overhead_p50_ms: Number(percentile(overhead, 50).toFixed(3)),
      overhead_p95_ms: Number(percentile(overhead, 95).toFixed(3)),
      overhead_streaming_p50_ms: Number(percentile(streamingOverhead, 50).toFixed(3)),
      overhead_streaming_p95_ms: Number(percentile(streamingOverhead, 95).toFixed(3)),
      overhead_cpu_p50_ms: Number(percentile(overheadCpu, 50).toFixed(3)),
      overhead_cpu_p95_ms: Number(percentile(overheadCpu, 95).toFixed(3)),
      overhead_streaming_cpu_p50_ms: Number(percentile(streamingOverheadCpu, 50).toFixed(3)),
      overhead_streaming_cpu_p95_ms: Number(percentile(streamingOverheadCpu, 95).toFixed(3)),
      turn_cpu_p50_ms: Number(percentile(turnCpu, 50).toFixed(3)),
      baseline_bare_tool_call_cpu_p50_ms: Number(percentile(bare.cpu, 50).toFixed(3)),
      overhead_with_diff_p50_ms: Number(percentile(overheadWithDiff, 50).toFixed(3)),
      loop_recorded_overhead_p50_ms: Number(percentile(loopRecorded, 50).toFixed(3)),
      turn_wall_p50_ms: Number(percentile(turnWall, 50).toFixed(3)),
      baseline_bare_tool_call_p50_ms: Number(percentile(bare.wall, 50).toFixed(3)),
      harness_vs_baseline_p50_ms: Number(harnessVsBare.toFixed(3)),
      diff_p50_ms: Number(percentile(probe.wall.diff, 50).toFixed(3)),
      single_rollout_ms: Math.round(single.wallMs),
      parallel8_ms: Math.round(parallelMs),
      parallel8_vs_1_ratio: Number((parallelMs / single.wallMs).toFixed(3)),
      target_overhead_ms: 5,
    }),
  );
}

/** Each turn's time on one clock. */
function turnTimes(spans: Spans): number[] {
  return spans.model.map((_, index) => spans.turnStarts[index + 1] - spans.turnStarts[index]);
}

/** Each turn's time less model time, tool execution and the work-tree diff, on one clock. */
function harnessOverhead(spans: Spans): number[] {
  return turnTimes(spans).map(
    (turn, index) => turn - spans.model[index] - (spans.tools[index] ?? 0) - (spans.diff[index] ?? 0),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
