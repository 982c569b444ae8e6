import * as path from 'node:path';
import * as vscode from 'vscode';
import { chooseRunner, startServer, train, trainVerifier, type JobResult, type TrainJob } from '../../core/train/jobs';
import { parseTrainingFlags, trainingArgs, type TrainingOptions, type TrainMethod } from '../../core/train/options';
import { formatRunnerEvent } from '../../core/train/runner';
import {
  formatSelection,
  formatTaskSelection,
  selectWithVerifier,
  type VerifierSelection,
} from '../../core/train/select';
import { withProgress } from '../progress';
import { updateSetting } from '../settings';
import { requireTrust } from '../trust';
import type { CommandContext, ServedModel } from './context';
import { fileArgumentOrPick, folderArgumentOrPick } from './pick';

export interface FineTuneRequest extends Partial<TrainJob> {
  /** Run the trainer in a container from this image (GPUs passed through) instead of the local venv. */
  dockerImage?: string;
  /** Training options as flags of `rollout train`; fields of the request take precedence. */
  flags?: string;
}

/** The options to train with: the request's flags, or the `rolloutStudio.train.options` setting shown for editing. */
async function trainingOptions(
  method: TrainMethod,
  request: FineTuneRequest,
  fromSettings: string,
): Promise<TrainingOptions | undefined> {
  const check = (line: string): string | undefined => {
    try {
      trainingArgs(method, parseTrainingFlags(line));
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  const line =
    request.flags ??
    (request.method && request.data && request.baseModel
      ? fromSettings
      : await vscode.window.showInputBox({
          title: `Training options (${method})`,
          prompt: 'Flags as on `rollout train`, e.g. --max-length 8192 --lora-r 32 --epochs 2 (empty: the defaults)',
          value: fromSettings,
          ignoreFocusOut: true,
          validateInput: check,
        }));
  if (line === undefined) return undefined;
  const problem = check(line);
  if (problem) throw new Error(`training options: ${problem}`);
  return parseTrainingFlags(line);
}

/**
 * Rollout Studio: Fine-tune on Dataset… — a LoRA adapter trained with SFT, DPO or PG on an exported dataset, in
 * the trainer's local venv (built on first use) or a GPU container. Cancel saves a checkpoint first; running
 * the same fine-tune again resumes from it.
 */
export async function fineTune(context: CommandContext, argument?: unknown): Promise<JobResult['outputs'] | undefined> {
  requireTrust('Fine-tune');
  const request = (argument as FineTuneRequest | undefined) ?? {};
  const method =
    request.method ??
    ((await vscode.window.showQuickPick(['sft', 'dpo', 'pg'], {
      title: 'Training method (the dataset must be an export of the same format; pg: the RL export)',
    })) as TrainMethod | undefined);
  if (!method) return undefined;
  const data =
    request.data ??
    (await fileArgumentOrPick(undefined, {
      canSelectFiles: true,
      title: `The ${method} dataset (an Export Dataset… JSONL file)`,
      filters: { JSONL: ['jsonl'] },
    }));
  if (!data) return undefined;
  const baseModel =
    request.baseModel ??
    (await vscode.window.showInputBox({
      title: 'Base model',
      prompt: 'A local model folder (or a Hugging Face id, where the hub is reachable)',
      ignoreFocusOut: true,
    }));
  if (!baseModel) return undefined;
  const out =
    request.out ??
    path.join(path.dirname(context.settings().outputFolder), 'finetunes', `${method}-${path.basename(data, '.jsonl')}`);
  const options = await trainingOptions(method, request, context.settings().trainOptions);
  if (!options) return undefined;
  const job: TrainJob = { ...options, ...request, method, data, baseModel, out };
  context.log.info(`fine-tune ${method} of ${baseModel} on ${data} into ${out}`);
  const outputs = await withProgress(
    `fine-tuning (${method}) on ${path.basename(data)}`,
    { cancellable: true },
    async (progress) => {
      progress.report('preparing the trainer (its environment is built on first use)');
      const runner = await chooseRunner({ dockerImage: request.dockerImage, onLog: (line) => context.log.info(line) });
      context.log.info(`trainer: ${runner.description}`);
      let lastStep = 0;
      const result = await train(runner, job, {
        signal: progress.signal,
        onLog: (line) => context.log.trace(line),
        onEvent: (event) => {
          context.log.info(formatRunnerEvent(event));
          if (event.event === 'progress') {
            progress.report(
              `step ${event.step}/${event.max_steps} · loss ${event.loss.toFixed(3)}`,
              ((event.step - lastStep) / event.max_steps) * 100,
            );
            lastStep = event.step;
          }
        },
      });
      return result.outputs;
    },
  );
  void vscode.window.showInformationMessage(
    `Rollout Studio: fine-tune finished; adapter in ${String(outputs.adapter ?? out)}.`,
  );
  return outputs;
}

export interface VerifierRequest {
  /** Recorded runs with rewards (run folders or output folders); the output folder when left out. */
  runs?: string[];
  out?: string;
  epochs?: number;
}

/**
 * Rollout Studio: Train Verifier — `rollout train --method verifier`: the outcome verifier (an ONNX model that
 * scores a finished run) trained on the output folder's rewarded runs, in the trainer's venv.
 */
export async function trainVerifierOnRuns(
  context: CommandContext,
  argument?: unknown,
): Promise<JobResult['outputs'] | undefined> {
  requireTrust('Train Verifier');
  const request = (argument as VerifierRequest | undefined) ?? {};
  const outputFolder = context.settings().outputFolder;
  const runs = request.runs ?? [outputFolder];
  const out = request.out ?? path.join(path.dirname(outputFolder), 'verifier');
  context.log.info(`train the verifier on ${runs.join(', ')} into ${out}`);
  const result = await withProgress('training the verifier', { cancellable: true }, async (progress) => {
    progress.report('preparing the trainer (its environment is built on first use)');
    const runner = await chooseRunner({ onLog: (line) => context.log.info(line) });
    return trainVerifier(
      runner,
      { runs, out, epochs: request.epochs, onSkipped: (reason) => context.log.info(`skipped ${reason}`) },
      {
        signal: progress.signal,
        onLog: (line) => context.log.trace(line),
        onEvent: (event) => context.log.info(formatRunnerEvent(event)),
      },
    );
  });
  context.log.info(`verifier dataset: ${result.rows} scored runs from ${result.finishedRuns} finished runs`);
  void vscode.window.showInformationMessage(
    `Rollout Studio: verifier trained on ${result.rows} runs; model in ${out}. Select Best Attempts with Verifier… uses it.`,
  );
  return result.outputs;
}

export interface SelectionRequest {
  runs?: string[];
  verifier?: string;
}

/**
 * Rollout Studio: Select Best Attempts with Verifier… — `rollout select`: every finished run of the output
 * folder scored by a trained verifier (the score written beside it), the best attempt per task in the log.
 */
export async function selectBestAttempts(
  context: CommandContext,
  argument?: unknown,
): Promise<VerifierSelection | undefined> {
  const request = (argument as SelectionRequest | undefined) ?? {};
  const outputFolder = context.settings().outputFolder;
  const verifier =
    request.verifier ??
    (await folderArgumentOrPick(undefined, 'The verifier (a Train Verifier output folder holding verifier.onnx)'));
  if (!verifier) return undefined;
  const runs = request.runs ?? [outputFolder];
  const selection = await withProgress('scoring runs with the verifier', { cancellable: false }, () =>
    selectWithVerifier(runs, verifier),
  );
  for (const reason of selection.skipped) context.log.info(`skipped ${reason}`);
  for (const task of selection.selections) context.log.info(formatTaskSelection(task));
  const summary = formatSelection(selection.summary, selection.heldOut, selection.card);
  context.log.info(summary);
  void vscode.window
    .showInformationMessage(
      `Rollout Studio: best of ${selection.selections.length} task(s) chosen by the verifier. ${summary.split('\n')[0]}`,
      'Show Log',
    )
    .then((choice) => choice && context.log.show());
  return selection;
}

export interface ServeRequest {
  /** A Fine-tune output folder (or an adapter or model folder). */
  model?: string;
  baseModel?: string;
  /** Make the served model the agent's model without asking. */
  useAsModel?: boolean;
}

/**
 * Rollout Studio: Serve Fine-tune… — `rollout serve`: a fine-tuned adapter on its base model as an
 * OpenAI-compatible server on loopback, kept until Stop Serving or the window closes; offered as the agent's
 * model (provider openai-compatible at its address).
 */
export async function serveFineTune(context: CommandContext, argument?: unknown): Promise<ServedModel | undefined> {
  requireTrust('Serve Fine-tune');
  const request = (argument as ServeRequest | undefined) ?? {};
  const model =
    request.model ?? (await folderArgumentOrPick(undefined, 'The fine-tune to serve (a Fine-tune output folder)'));
  if (!model) return undefined;
  await stopServing(context);
  const server = await withProgress(
    `starting a server for ${path.basename(model)}`,
    { cancellable: true },
    async (progress) => {
      progress.report('preparing the trainer (its environment is built on first use)');
      const runner = await chooseRunner({ onLog: (line) => context.log.info(line) });
      return startServer(
        runner,
        { model, baseModel: request.baseModel },
        { signal: progress.signal, onLog: (line) => context.log.trace(line) },
      );
    },
  );
  const ready = server.readyEvent;
  if (ready.event !== 'serving') {
    await server.stop();
    throw new Error(`Serve Fine-tune: the server did not start (${formatRunnerEvent(ready)})`);
  }
  const served: ServedModel = { url: ready.url, model: ready.model, policy: ready.policy, stop: () => server.stop() };
  context.servedModel = served;
  await vscode.commands.executeCommand('setContext', 'rolloutStudio.serving', true);
  void server.exited.then(() => {
    if (context.servedModel !== served) return;
    context.servedModel = undefined;
    void vscode.commands.executeCommand('setContext', 'rolloutStudio.serving', false);
  });
  context.log.info(`${formatRunnerEvent(ready)} (policy ${ready.policy})`);
  const use =
    request.useAsModel ??
    (await vscode.window.showInformationMessage(
      `Rollout Studio: serving ${ready.model} at ${ready.url}.`,
      'Use as Agent Model',
    )) === 'Use as Agent Model';
  if (use) {
    await updateSetting('model.provider', 'openai-compatible');
    await updateSetting('model.endpoint', ready.url);
    await updateSetting('model.name', ready.model);
  }
  return served;
}

/** Rollout Studio: Stop Serving — stops the server Serve Fine-tune… started. */
export async function stopServing(context: CommandContext): Promise<boolean> {
  const served = context.servedModel;
  if (!served) return false;
  context.servedModel = undefined;
  await served.stop();
  await vscode.commands.executeCommand('setContext', 'rolloutStudio.serving', false);
  context.log.info(`stopped serving ${served.model} at ${served.url}`);
  return true;
}
