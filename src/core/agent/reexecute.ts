/**
 * Re-executes a recorded trajectory's actions in a fresh sandbox and reports every turn whose observation
 * or work-tree diff came out differently. Timings in tool output (`in 0.12s`, `35ms`) are masked, since
 * they differ on every run.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Sandbox, SandboxFactory, SandboxSpec } from '../sandbox/sandbox';
import type { Trajectory } from '../trajectory/types';
import type { AssistantMessage } from './policies/policy';
import type { Toolbox } from './tools/toolbox';

export interface ReexecutionDifference {
  turn: number;
  kind: 'observation' | 'diff';
  /** The tool call whose observation differs. */
  toolCallId?: string;
  recorded: string;
  reexecuted: string;
}

export interface ReexecutionReport {
  turns: number;
  toolCalls: number;
  differences: ReexecutionDifference[];
}

export interface ReexecutionOptions {
  /** Stops the re-execution: its image's pull or build, an install command, a tool call. */
  signal?: AbortSignal;
  /** The repository on this machine, when the recorded folder is not here (a run recorded on another machine). */
  repoDir?: string;
}

/** Where the run's sandbox came from, as the recorder kept it in the run metadata, with the repository moved to `repoDir` if given. */
export function sandboxSpecOf(trajectory: Trajectory, repoDir?: string): SandboxSpec & { install: string[] } {
  const extra = trajectory.run.extra ?? {};
  const runId = trajectory.run.run_id;
  if (!trajectory.run.image?.name) throw new Error(`run ${runId} records no image, so it cannot be re-executed`);
  const install = (extra.install as string[] | undefined) ?? [];
  const workdir = extra.workdir as string | undefined;
  // An instance image holds the repository itself: the image is all a re-execution needs.
  const instance = extra.instance as SandboxSpec['instance'];
  if (instance) return { image: trajectory.run.image.name, instance, workdir, install };
  const recorded = extra.repo as SandboxSpec['repo'];
  if (!recorded?.location)
    throw new Error(`run ${runId} records no repository (run.extra.repo), so it cannot be re-executed`);
  const repo = repoDir ? { ...recorded, location: resolve(repoDir) } : recorded;
  if (isAbsolute(repo.location) && !existsSync(repo.location)) {
    throw new Error(
      `run ${runId} was recorded on ${repo.location}, which is not on this machine; give the repository's folder here (rollout reexecute --repo DIR)${recorded.commit ? `, at commit ${recorded.commit}` : ''}`,
    );
  }
  const hideImageHistory = extra.hidden_image_history === true;
  return {
    image: trajectory.run.image.name,
    repo,
    workdir,
    install,
    ...(hideImageHistory ? { hideImageHistory } : {}),
  };
}

const TIMING = /\b\d+(\.\d+)?\s?(ms|s|sec|seconds)\b/g;
function comparable(text: string): string {
  return text.replace(TIMING, '<time>');
}

/** The sandbox is removed however the re-execution ends. */
export async function reexecuteTrajectory(
  trajectory: Trajectory,
  createSandbox: SandboxFactory,
  toolbox: Toolbox,
  { signal, repoDir }: ReexecutionOptions = {},
): Promise<ReexecutionReport> {
  const { install, ...spec } = sandboxSpecOf(trajectory, repoDir);
  const sandbox = await createSandbox({ ...spec, runId: `reexecute-${trajectory.run.run_id}`, signal });
  try {
    for (const command of install) {
      const result = await sandbox.exec(command, { asRoot: true, signal });
      if (result.exitCode !== 0) throw new Error(`install command failed (exit ${result.exitCode}): ${command}`);
    }
    return await reexecuteTurns(trajectory, sandbox, toolbox, signal);
  } finally {
    await sandbox.destroy();
  }
}

async function reexecuteTurns(
  trajectory: Trajectory,
  sandbox: Sandbox,
  toolbox: Toolbox,
  signal?: AbortSignal,
): Promise<ReexecutionReport> {
  const report: ReexecutionReport = { turns: trajectory.turns.length, toolCalls: 0, differences: [] };
  for (const turn of trajectory.turns) {
    const calls = turn.messages
      .filter((message): message is AssistantMessage => message.role === 'assistant')
      .flatMap((message) => message.tool_calls ?? []);
    for (const call of calls) {
      signal?.throwIfAborted();
      report.toolCalls++;
      const outcome = await toolbox.call(call, { sandbox, signal });
      const recorded = turn.observations.find((observation) => observation.tool_call_id === call.id)?.output ?? '';
      if (comparable(recorded) !== comparable(outcome.output)) {
        report.differences.push({
          turn: turn.index,
          kind: 'observation',
          toolCallId: call.id,
          recorded,
          reexecuted: outcome.output,
        });
      }
    }
    if (turn.diff !== undefined) {
      const diff = await sandbox.diff();
      if (diff !== turn.diff)
        report.differences.push({ turn: turn.index, kind: 'diff', recorded: turn.diff, reexecuted: diff });
    }
  }
  return report;
}
