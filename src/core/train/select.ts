import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findTrajectoryLogs, formatProblem, readTrajectoryLog } from '../trajectory/reader';
import { unscorable, type ExitStatus } from '../trajectory/types';
import { Verifier, type VerifierCard } from './verifier';
import { trajectoryFeatures, type FeatureRecord } from './verifierFeatures';

/** Written beside each scored trajectory.jsonl (the log itself is append-only and closed). */
export const SCORE_FILE = 'verifier-score.json';

export interface Candidate {
  path: string;
  runId: string;
  taskId: string;
  attempt: number;
  /** The test-based reward, null when the run was not scored. */
  reward: number | null;
  resolved: boolean;
  features: FeatureRecord;
}

export interface ScoredCandidate extends Candidate {
  score: number;
}

export interface TaskSelection {
  taskId: string;
  chosen: ScoredCandidate;
  attempts: ScoredCandidate[];
}

export interface CandidateScan {
  candidates: Candidate[];
  /** Runs left out, each with why: malformed log, unfinished, cancelled, or an infrastructure failure. */
  skipped: string[];
}

/**
 * Finished runs under the given paths with their features; cancelled runs and infrastructure failures are not
 * attempts.
 */
export async function collectCandidates(paths: string[]): Promise<CandidateScan> {
  const scan: CandidateScan = { candidates: [], skipped: [] };
  for await (const path of findTrajectoryLogs(paths)) {
    const read = await readTrajectoryLog(path);
    const trajectory = read.trajectory;
    if (read.problems.length > 0 || !trajectory) {
      scan.skipped.push(`${path}: malformed (${read.problems.map(formatProblem).join('; ') || 'no run_started line'})`);
    } else if (!trajectory.result) scan.skipped.push(`${path}: unfinished run`);
    else if (unscorable(trajectory.result.exit_status))
      scan.skipped.push(`${path}: ${describeStop(trajectory.result.exit_status)}, not an attempt`);
    else {
      scan.candidates.push({
        path,
        runId: trajectory.run.run_id,
        taskId: trajectory.run.task_id,
        attempt: trajectory.run.attempt,
        reward: trajectory.result.reward?.value ?? null,
        resolved: trajectory.result.reward?.resolved === true,
        features: trajectoryFeatures(trajectory),
      });
    }
  }
  return scan;
}

function describeStop(exitStatus: ExitStatus): string {
  return exitStatus === 'cancelled' ? 'cancelled' : 'infrastructure failure';
}

/** Best of N per task: the highest score; ties go to the earlier attempt. Tasks in first-seen order. */
export function pickBestPerTask(scored: ScoredCandidate[]): TaskSelection[] {
  const byTask = new Map<string, ScoredCandidate[]>();
  for (const candidate of scored) byTask.set(candidate.taskId, [...(byTask.get(candidate.taskId) ?? []), candidate]);
  return [...byTask].map(([taskId, attempts]) => ({
    taskId,
    attempts,
    chosen: attempts.reduce((best, next) =>
      next.score > best.score || (next.score === best.score && next.attempt < best.attempt) ? next : best,
    ),
  }));
}

export interface SelectionSummary {
  tasks: number;
  /** Mean reward of the chosen attempts, of all attempts (what picking at random gets), and of the best attempt per task. */
  chosenMeanReward: number | null;
  averageMeanReward: number | null;
  oracleMeanReward: number | null;
}

function mean(values: number[]): number | null {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null;
}

/** The selections of the verifier's held-out tasks: the only ones where its choice is not measured on its own training data. */
export function heldOutSelections(selections: TaskSelection[], heldOutTasks: readonly string[]): TaskSelection[] {
  const heldOut = new Set(heldOutTasks);
  return selections.filter((selection) => heldOut.has(selection.taskId));
}

export function summariseSelection(selections: TaskSelection[]): SelectionSummary {
  const rewarded = (list: ScoredCandidate[]) => list.map((c) => c.reward).filter((r): r is number => r !== null);
  return {
    tasks: selections.length,
    chosenMeanReward: mean(rewarded(selections.map((s) => s.chosen))),
    averageMeanReward: mean(selections.map((s) => mean(rewarded(s.attempts))).filter((r): r is number => r !== null)),
    oracleMeanReward: mean(
      selections
        .map((s) => rewarded(s.attempts))
        .filter((r) => r.length)
        .map((r) => Math.max(...r)),
    ),
  };
}

/** Scores every candidate, stores each score beside its trajectory, and picks the best per task. */
export async function selectBest(
  candidates: Candidate[],
  verifier: Verifier,
  verifierFolder: string,
): Promise<TaskSelection[]> {
  const scores = await verifier.score(candidates.map((candidate) => candidate.features));
  const scored = candidates.map((candidate, index) => ({ ...candidate, score: scores[index] }));
  for (const candidate of scored) {
    const record = {
      run_id: candidate.runId,
      task_id: candidate.taskId,
      score: candidate.score,
      verifier: verifierFolder,
      features: candidate.features,
    };
    await writeFile(join(dirname(candidate.path), SCORE_FILE), JSON.stringify(record, null, 2) + '\n');
  }
  return pickBestPerTask(scored);
}

/** The verifier's training set: one `{task_id, run_id, features, reward}` line per scored run. */
export async function writeVerifierDataset(candidates: Candidate[], file: string): Promise<number> {
  const out = createWriteStream(file);
  let written = 0;
  for (const candidate of candidates) {
    if (candidate.reward === null) continue;
    out.write(
      JSON.stringify({
        task_id: candidate.taskId,
        run_id: candidate.runId,
        features: candidate.features,
        reward: candidate.reward,
      }) + '\n',
    );
    written += 1;
  }
  await new Promise<void>((resolveEnd, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolveEnd())),
  );
  return written;
}

/** The summary lines: held-out tasks first (the verifier's real figure), then every task. */
export function formatSelection(
  all: SelectionSummary,
  heldOut: SelectionSummary,
  card: { holdout_accuracy: number | null; holdout_majority_accuracy?: number | null },
): string {
  const format = (value: number | null | undefined) =>
    value === null || value === undefined ? 'n/a' : value.toFixed(3);
  const line = (summary: SelectionSummary) =>
    `mean reward: chosen ${format(summary.chosenMeanReward)}, any attempt ${format(summary.averageMeanReward)}, best possible ${format(summary.oracleMeanReward)}`;
  const heldOutLine = heldOut.tasks
    ? `held-out tasks (${heldOut.tasks}, never trained on): ${line(heldOut)}; verifier accuracy ${format(card.holdout_accuracy)} (always guessing the common outcome: ${format(card.holdout_majority_accuracy)})`
    : 'held-out tasks: none of these runs (the verifier has seen every task here; train it on other tasks for a figure that means something)';
  return `${heldOutLine}\nall ${all.tasks} tasks (includes tasks the verifier was trained on): ${line(all)}`;
}

/** One task's pick as a line: task, run, score, reward, attempts, trajectory. */
export function formatTaskSelection(selection: TaskSelection): string {
  const { chosen } = selection;
  return `${selection.taskId}\t${chosen.runId}\tscore ${chosen.score.toFixed(4)}\treward ${chosen.reward ?? 'n/a'}\t(${selection.attempts.length} attempts)\t${chosen.path}`;
}

export interface VerifierSelection {
  /** Runs left out, each with why. */
  skipped: string[];
  selections: TaskSelection[];
  summary: SelectionSummary;
  /** The same figures on the verifier's held-out tasks only. */
  heldOut: SelectionSummary;
  card: VerifierCard;
}

/**
 * `rollout select` and Select Best Attempts with Verifier…: scores every finished run under `runs` with the
 * verifier in `verifierFolder` (each score written beside its trajectory) and picks the best attempt per task.
 */
export async function selectWithVerifier(runs: string[], verifierFolder: string): Promise<VerifierSelection> {
  const verifier = await Verifier.load(verifierFolder);
  try {
    const scan = await collectCandidates(runs);
    const selections = await selectBest(scan.candidates, verifier, verifierFolder);
    return {
      skipped: scan.skipped,
      selections,
      summary: summariseSelection(selections),
      heldOut: summariseSelection(heldOutSelections(selections, verifier.card.holdout_tasks ?? [])),
      card: verifier.card,
    };
  } finally {
    await verifier.close();
  }
}
