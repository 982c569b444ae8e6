import * as path from 'node:path';
import * as vscode from 'vscode';
import { chooseRunner, train, type JobResult, type TrainJob } from '../../core/train/jobs';
import { parseTrainingFlags, trainingArgs, type TrainingOptions, type TrainMethod } from '../../core/train/options';
import { formatRunnerEvent } from '../../core/train/runner';
import { withProgress } from '../progress';
import { requireTrust } from '../trust';
import type { CommandContext } from './context';
import { fileArgumentOrPick } from './pick';

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
