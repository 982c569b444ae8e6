/**
 * The Runs view's results of a run: Test Results, per-file changes, Apply Patch to Workspace, Run Again, Resume Run,
 * Compare with….
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parsePolicySpec, type PolicySpec } from '../../core/agent/policies/policySpec';
import { applyPatchToFolder, patchFileVersions, runBaseReader } from '../../core/trajectory/patchFiles';
import { formatProblem, readTrajectoryLog } from '../../core/trajectory/reader';
import { planResume } from '../../core/agent/resumePlan';
import type { RolloutSummary } from '../../core/agent/rollout';
import { isRecordedByLiveProcess, readRunIndex } from '../../core/trajectory/runIndex';
import type { Trajectory } from '../../core/trajectory/types';
import type { ShownTestResults } from '../results/testResults';
import { runTranscript } from '../results/runTranscript';
import { requireTrust } from '../trust';
import { describeRun } from '../views/runLabel';
import { RunItem } from '../views/runsTree';
import { configuredAgentConfig, configuredPolicySpec, runAgent, storedKeyOf } from './agentCommands';
import type { CommandContext } from './context';
import { runAgainPlan } from './runAgainPlan';

/** Runs view: the run's FAIL_TO_PASS and PASS_TO_PASS outcome in VS Code's Test Results view. */
export async function showTestResults(context: CommandContext, argument?: unknown): Promise<ShownTestResults> {
  const trajectory = await readRun(argument, 'Show Test Results');
  const task = context.tasks.allTasks().find((candidate) => candidate.id === trajectory.run.task_id);
  const shown = context.testResults.show(trajectory, task);
  context.log.info(
    `test results of ${trajectory.run.run_id}: ${shown.tests.length} test(s)${shown.notGradedBecause ? ` (${shown.notGradedBecause})` : ''}`,
  );
  void vscode.commands.executeCommand('workbench.view.testing.focus').then(undefined, () => undefined);
  return shown;
}

/** One file of the run's final patch in the diff editor: its base contents on the left, the run's on the right. */
export interface ChangedFileDocuments {
  path: string;
  before: vscode.Uri;
  after: vscode.Uri;
}

/** Runs view: the run's final patch as one diff per file against its base commit (the multi-file diff editor). */
export async function showChanges(context: CommandContext, argument?: unknown): Promise<ChangedFileDocuments[]> {
  const trajectory = await readRun(argument, 'Show Changes');
  const patch = finalPatch(trajectory, 'Show Changes');
  if (patch === '') {
    void vscode.window.showInformationMessage(`Rollout Studio: run ${trajectory.run.run_id} changed no file.`);
    return [];
  }
  const versions = await patchFileVersions(patch, await runBaseReader(trajectory.run));
  const owner = `changes-${trajectory.run.run_id}`;
  const documents = versions.map((file): ChangedFileDocuments => {
    const name = (file.newPath ?? file.oldPath)!;
    const binary = file.binary ? '(binary file: its contents are not shown)\n' : '';
    return {
      path: name,
      before: context.diffs.put(owner, `before/${file.oldPath ?? name}`, binary || (file.before ?? '')),
      after: context.diffs.put(owner, `after/${name}`, binary || (file.after ?? '')),
    };
  });
  await vscode.commands.executeCommand(
    'vscode.changes',
    `${trajectory.run.task_id}: changes of ${trajectory.run.run_id}`,
    documents.map((file) => [vscode.Uri.file(file.path), file.before, file.after]),
  );
  return documents;
}

/**
 * Runs view: `git apply` of the run's final patch in the workspace folder (or `folderArgument`), after asking
 * (`confirmed` true skips the question). All or nothing: a patch that does not apply changes no file.
 */
export async function applyPatch(
  context: CommandContext,
  argument?: unknown,
  folderArgument?: unknown,
  confirmed?: unknown,
): Promise<boolean> {
  requireTrust('Apply Patch to Workspace');
  const trajectory = await readRun(argument, 'Apply Patch to Workspace');
  const patch = finalPatch(trajectory, 'Apply Patch to Workspace');
  const folder =
    typeof folderArgument === 'string' ? folderArgument : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) throw new Error('Apply Patch to Workspace: open the folder to apply the patch to');
  if (patch === '') {
    void vscode.window.showInformationMessage(`Rollout Studio: run ${trajectory.run.run_id} changed no file.`);
    return false;
  }
  if (confirmed !== true) {
    const answer = await vscode.window.showWarningMessage(
      `Apply the patch of run ${trajectory.run.run_id} (${trajectory.run.task_id}) to ${folder}? It changes files there; git can undo it with \`git apply -R\`.`,
      { modal: true },
      'Apply',
    );
    if (answer !== 'Apply') return false;
  }
  await applyPatchToFolder(folder, patch).catch((error: Error) => {
    throw new Error(`Apply Patch to Workspace: ${error.message}`);
  });
  context.log.info(`applied the patch of ${trajectory.run.run_id} to ${folder}`);
  void vscode.window.showInformationMessage(`Rollout Studio: applied the patch of ${trajectory.run.run_id}.`);
  return true;
}

/**
 * Runs view: the run's task again with the limits the run was given and the model the settings give. When the
 * settings differ from what the run recorded it asks first, naming both (`confirmed` true skips the question).
 */
export async function runAgain(
  context: CommandContext,
  argument?: unknown,
  confirmed?: unknown,
): Promise<RolloutSummary[] | undefined> {
  const { run } = await readRun(argument, 'Run Again');
  const task = context.tasks.allTasks().find((candidate) => candidate.id === run.task_id);
  if (!task)
    throw new Error(
      `Run Again: task ${run.task_id} is in no open task set; open its task set first ("Open Task Set…")`,
    );
  const settings = context.settings();
  const blockedBy = await runPolicyBlockedBy(context, run.policy);
  const configuredSpec = configuredPolicySpec(settings);
  const plan = runAgainPlan(run, configuredSpec, configuredAgentConfig(settings), blockedBy);
  if (plan.question && confirmed !== true) {
    const answer = await vscode.window.showWarningMessage(plan.question, { modal: true }, 'Run');
    if (answer !== 'Run') return undefined;
  }
  context.log.info(`run ${run.task_id} again with ${plan.model} and ${plan.reused}`);
  if (plan.policySpec !== configuredSpec)
    void vscode.window.showInformationMessage(`Rollout Studio: Run Again runs ${plan.model}.`);
  return runAgent(context, { tasks: [task], limits: plan.limits, policySpec: plan.policySpec });
}

/**
 * Runs view: a cancelled run, or one a crash or a kill left unfinished, goes on from its last finished turn with the
 * model, model settings, protocol and limits it recorded (as `rollout run --resume`); Stop Run stops it again.
 */
export async function resumeRun(context: CommandContext, argument?: unknown): Promise<RolloutSummary[] | undefined> {
  requireTrust('Resume Run');
  const logPath = runLogPath(argument, 'Resume Run');
  const plan = await planResume(logPath).catch((error: Error) => {
    throw new Error(`Resume Run: ${error.message}`);
  });
  const { run } = plan;
  const entry = (await readRunIndex(plan.outDir)).find((candidate) => candidate.run_id === run.run_id);
  if (entry && isRecordedByLiveProcess(entry))
    throw new Error(`Resume Run: run ${run.run_id} is still being recorded; stop it first`);
  const task = context.tasks.allTasks().find((candidate) => candidate.id === run.task_id);
  if (!task)
    throw new Error(
      `Resume Run: task ${run.task_id} is in no open task set; open its task set first ("Open Task Set…")`,
    );
  context.log.info(`resume ${run.run_id} with ${plan.policySpec}`);
  return runAgent(context, { tasks: [task], resume: plan });
}

/** Why the policy a run recorded cannot run again here, or undefined when it can. */
async function runPolicyBlockedBy(context: CommandContext, spec: string): Promise<string | undefined> {
  let parsed: PolicySpec;
  try {
    parsed = parsePolicySpec(spec);
  } catch {
    return 'Run Again starts only openai:, openai-responses:, anthropic:, ollama: and recorded: policies';
  }
  if (parsed.backend === 'recorded')
    return existsSync(parsed.path) ? undefined : `its recorded trajectory ${parsed.path} is not there`;
  if (parsed.backend === 'ollama') return undefined;
  return (await storedKeyOf(context, spec))
    ? undefined
    : `no API key is stored for ${parsed.baseURL ?? 'the default endpoint'}`;
}

/**
 * Runs view: the run beside another run of the same task (picked, or `otherArgument`), turn by turn in the
 * diff editor.
 */
export async function compareWith(
  context: CommandContext,
  argument?: unknown,
  otherArgument?: unknown,
): Promise<{ left: vscode.Uri; right: vscode.Uri } | undefined> {
  const left = await readRun(argument, 'Compare with');
  const otherPath = otherArgument ?? (await pickOtherRun(context, left));
  if (otherPath === undefined) return undefined;
  const right = await readRun(otherPath, 'Compare with');
  if (right.run.task_id !== left.run.task_id)
    throw new Error(
      `Compare with: run ${right.run.run_id} is of task ${right.run.task_id}, not ${left.run.task_id}; compare runs of one task`,
    );
  const owner = `compare-${left.run.run_id}`;
  const uris = {
    left: context.diffs.put(owner, `${left.run.run_id}.txt`, runTranscript(left)),
    right: context.diffs.put(owner, `${right.run.run_id}.txt`, runTranscript(right)),
  };
  await vscode.commands.executeCommand(
    'vscode.diff',
    uris.left,
    uris.right,
    `${left.run.task_id}: ${left.run.run_id} ↔ ${right.run.run_id}`,
  );
  return uris;
}

async function pickOtherRun(context: CommandContext, trajectory: Trajectory): Promise<string | undefined> {
  const folder = context.settings().outputFolder;
  const others = context.runs.runs.filter(
    (entry) => entry.task_id === trajectory.run.task_id && entry.run_id !== trajectory.run.run_id,
  );
  if (others.length === 0)
    throw new Error(`Compare with: ${trajectory.run.task_id} has no other run in ${folder}; run it again first`);
  const picked = await vscode.window.showQuickPick(
    others.map((entry) => ({
      label: entry.run_id,
      description: `attempt ${entry.attempt + 1} · ${entry.policy}`,
      detail: describeRun(entry),
      logPath: path.join(folder, entry.path),
    })),
    { title: `Compare ${trajectory.run.run_id} with which run of ${trajectory.run.task_id}?` },
  );
  return picked?.logPath;
}

/** The log of the run a command was given: a Runs view row, or a trajectory log's (or its folder's) path. */
function runLogPath(argument: unknown, action: string): string {
  if (argument instanceof RunItem) return argument.logPath;
  if (typeof argument !== 'string') throw new Error(`${action}: choose a run in the Runs view`);
  return argument.endsWith('.jsonl') ? argument : path.join(argument, 'trajectory.jsonl');
}

/** The run a command was given (see runLogPath). */
async function readRun(argument: unknown, action: string): Promise<Trajectory> {
  const logPath = runLogPath(argument, action);
  const { trajectory, problems } = await readTrajectoryLog(logPath);
  if (!trajectory)
    throw new Error(
      `${action}: cannot read ${logPath}: ${problems.map(formatProblem).join('; ') || 'no run_started line'}`,
    );
  return trajectory;
}

function finalPatch(trajectory: Trajectory, action: string): string {
  const { result, run } = trajectory;
  if (!result) throw new Error(`${action}: run ${run.run_id} has not finished; its patch is not final`);
  if (result.secrets_in_patch)
    throw new Error(`${action}: run ${run.run_id}'s patch was recorded with a secret redacted; it is not the real one`);
  return result.patch;
}
