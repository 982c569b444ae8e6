import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXPORT_FORMATS, exportDataset as exportRuns, type ExportSummary } from '../../core/export/exporter';
import type { ExportFormatName } from '../../core/export/format';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import { runEvaluation } from '../../core/reward/evalRun';
import type { EvaluationResult } from '../../core/reward/evaluator';
import { describeErrors, loadPredictions } from '../../core/reward/predictions';
import { describeRun } from '../../core/reward/runSummary';
import { loadTasksStrict } from '../../core/task/loadTasks';
import { withProgress } from '../progress';
import { applyDockerHost } from '../settings';
import { requireTrust } from '../trust';
import { RunItem } from '../views/runsTree';
import type { CommandContext } from './context';
import { fileArgumentOrPick, folderArgumentOrPick } from './pick';

export interface ExportRequest {
  format?: ExportFormatName;
  out?: string;
  /** Logs, run folders or output folders; the output folder when absent. */
  runs?: string[];
  minReward?: number;
}

/** Rollout Studio: Export Dataset… — SFT, DPO, RL, SWE-bench predictions or SWE-agent trajectories from recorded runs. */
export async function exportDataset(context: CommandContext, argument?: unknown): Promise<ExportSummary | undefined> {
  const request: ExportRequest =
    argument instanceof RunItem ? { runs: [argument.logPath] } : ((argument as ExportRequest | undefined) ?? {});
  const format = request.format ?? (await pickExportFormat());
  if (!format) return undefined;
  const out = request.out ?? (await folderArgumentOrPick(undefined, `Folder for the ${format} dataset`));
  if (!out) return undefined;
  const settings = context.settings();
  const runs = request.runs ?? [settings.outputFolder];
  const apiKey = await context.apiKeys.get(settings.modelEndpoint);
  const summary = await withProgress(`exporting a ${format} dataset`, { cancellable: true }, async (progress) => {
    progress.report(`reading ${runs.length === 1 ? path.basename(runs[0]) : `${runs.length} sources`}`);
    return exportRuns({
      runs,
      format,
      out,
      minReward: request.minReward,
      command: `VS Code: Rollout Studio: Export Dataset (format ${format})`,
      report: (message) => context.log.warn(message),
      signal: progress.signal,
      secrets: apiKey ? [apiKey] : [],
    });
  });
  context.log.info(`exported ${format} dataset to ${out}: ${summary.files.join(', ')}`);
  void vscode.window
    .showInformationMessage(`Rollout Studio: exported ${summary.files.join(', ')} to ${out}.`, 'Open Dataset Card')
    .then((choice) => choice && vscode.window.showTextDocument(vscode.Uri.file(summary.card)));
  return summary;
}

async function pickExportFormat(): Promise<ExportFormatName | undefined> {
  const items = Object.keys(EXPORT_FORMATS).map((name) => ({ label: name }));
  return (await vscode.window.showQuickPick(items, { title: 'Dataset format' }))?.label as ExportFormatName | undefined;
}

export interface EvaluationRequest {
  tasks?: string;
  predictions?: string;
  out?: string;
}

/**
 * Rollout Studio: Evaluate Predictions… — SWE-bench-format predictions scored in fresh Docker sandboxes.
 * Cancelling stops before the next instance; instances already in a sandbox finish first.
 */
export async function evaluatePredictions(
  context: CommandContext,
  argument?: unknown,
): Promise<EvaluationResult[] | undefined> {
  requireTrust('Evaluate Predictions');
  const request = (argument as EvaluationRequest | undefined) ?? {};
  const tasksFile =
    request.tasks ??
    (await fileArgumentOrPick(undefined, { canSelectFiles: true, title: 'Tasks the predictions answer' }));
  if (!tasksFile) return undefined;
  const predictionsFile =
    request.predictions ??
    (await fileArgumentOrPick(undefined, {
      canSelectFiles: true,
      title: 'Predictions (JSONL: instance_id, model_name_or_path, model_patch)',
    }));
  if (!predictionsFile) return undefined;
  const settings = context.settings();
  const out =
    request.out ??
    path.join(settings.outputFolder, 'evaluations', path.basename(predictionsFile, path.extname(predictionsFile)));
  const tasks = await loadTasksStrict(tasksFile);
  const { predictions, errors } = await loadPredictions(predictionsFile);
  if (errors.length > 0) throw new Error(`${errors.length} prediction row(s) did not load:\n${describeErrors(errors)}`);
  applyDockerHost(settings);
  const options = await dockerEvaluatorOptions({ runId: `eval-${randomUUID()}` });
  return withProgress(`evaluating ${predictions.length} predictions`, { cancellable: true }, async (progress) => {
    let done = 0;
    const { results, summary, rolloutSummary } = await runEvaluation(tasks, predictions, {
      ...options,
      outDir: out,
      workers: settings.workers,
      signal: progress.signal,
      onResult: (result) => {
        done += 1;
        context.log.info(
          `${result.instanceId}: ${result.status}${result.error ? ` (${result.error.split('\n')[0]})` : ''}`,
        );
        progress.report(
          `${done}/${predictions.length} · ${result.instanceId}: ${result.status}`,
          100 / predictions.length,
        );
      },
    });
    if (progress.signal.aborted) throw progress.signal.reason;
    void vscode.window.showInformationMessage(
      `Rollout Studio: ${describeRun(summary, rolloutSummary)}; reports in ${out}.`,
    );
    return results;
  });
}
