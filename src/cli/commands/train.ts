import { chooseRunner, train, trainVerifier, TrainerJobError, type Device, type TrainJob } from '../../core/train/jobs';
import {
  TRAINING_FLAGS,
  TrainingOptionError,
  trainingArgs,
  trainingOptionsFrom,
  trainingOptionsUsage,
} from '../../core/train/options';
import { formatRunnerEvent, RUNNER_EXIT, type RunnerHooks } from '../../core/train/runner';
import type { CliCommand } from './index';
import { parseCommandLine, requireOptions, UsageError, usageProblem, type ParsedWithRequired } from '../grammar';

const USAGE = `usage: rollout train --method sft|dpo|pg --data FILE --base-model PATH_OR_ID --out DIR [options]
       rollout train --method verifier --runs DIR… --out DIR [--epochs N]

  --method             sft (the SFT export), dpo (the DPO export), pg (policy gradient on the RL export), verifier
  --docker-image IMG   run the trainer in a container from IMG, the HF cache mounted, every GPU passed through
                       when nvidia-smi finds one
  --no-gpus            with --docker-image: pass no GPUs
  --device D           auto (default: CUDA in bf16 when present, else CPU), cuda or cpu
  --verbose            show the trainer's own log (stderr)
training options (recorded in the adapter's rollout-trainer.json):
${trainingOptionsUsage()}
Ctrl-C saves a checkpoint and stops; the same command again resumes from it.`;

const OPTIONS = {
  method: { type: 'string' },
  data: { type: 'string' },
  runs: { type: 'string', multiple: true },
  'base-model': { type: 'string' },
  out: { type: 'string' },
  'docker-image': { type: 'string' },
  'no-gpus': { type: 'boolean' },
  device: { type: 'string' },
  ...TRAINING_FLAGS,
  verbose: { type: 'boolean' },
} as const;

export const trainCommand: CliCommand = {
  summary: 'fine-tune a LoRA adapter (sft, dpo, pg) or train the verifier, in a venv or a GPU container',
  async run(args) {
    const parsed = parseCommandLine({ command: 'train', usage: USAGE, options: OPTIONS, required: ['out'] }, args);
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const controller = new AbortController();
    const onSigint = () => {
      console.error('\nstopping: saving a checkpoint first (Ctrl-C again to stop at once)');
      if (controller.signal.aborted) process.exit(RUNNER_EXIT.cancelled);
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    const log: string[] = [];
    const hooks: RunnerHooks = {
      signal: controller.signal,
      // `done` and `error` are reported once, below, from the job's result.
      onEvent: (event) => {
        if (event.event !== 'done' && event.event !== 'error') console.log(formatRunnerEvent(event));
      },
      onLog: (line) => {
        log.push(line);
        if (values.verbose) console.error(line);
      },
    };
    try {
      const outputs = await runTrain(values, hooks);
      console.log(JSON.stringify(outputs));
      return 0;
    } catch (error) {
      if (error instanceof UsageError || error instanceof TrainingOptionError)
        return usageProblem('train', USAGE, error.message);
      if (!values.verbose && error instanceof TrainerJobError && error.kind === 'internal')
        console.error(log.slice(-20).join('\n'));
      console.error(`rollout train: ${(error as Error).message}`);
      return error instanceof TrainerJobError ? error.exitCode : 1;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};

type TrainValues = ParsedWithRequired<typeof OPTIONS, 'out'>['values'];

/** What the command line asks to train; a bad line throws before any trainer environment is touched. */
type TrainRequest = { kind: 'verifier'; runs: string[]; epochs?: number } | { kind: 'job'; job: TrainJob };

function trainRequest(values: TrainValues): TrainRequest {
  const { method, device } = values;
  if (device !== undefined && !['auto', 'cuda', 'cpu'].includes(device))
    throw new UsageError(`--device must be auto, cuda or cpu, not ${device}`);
  if (method !== 'sft' && method !== 'dpo' && method !== 'pg' && method !== 'verifier')
    throw new UsageError('--method must be sft, dpo, pg or verifier');
  const options = trainingOptionsFrom(values);
  if (method === 'verifier') {
    if (!values.runs?.length) throw new UsageError('--method verifier needs --runs DIR (recorded runs with rewards)');
    return { kind: 'verifier', runs: values.runs, epochs: options.epochs };
  }
  requireOptions(values, ['data', 'base-model']);
  trainingArgs(method, options);
  const job: TrainJob = {
    method,
    data: values.data!,
    baseModel: values['base-model']!,
    out: values.out,
    device: device as Device | undefined,
    ...options,
  };
  return { kind: 'job', job };
}

async function runTrain(values: TrainValues, hooks: RunnerHooks): Promise<Record<string, unknown>> {
  const request = trainRequest(values);
  const runner = await chooseRunner({
    dockerImage: values['docker-image'],
    gpus: values['no-gpus'] ? false : undefined,
    onLog: (line) => console.error(line),
  });
  console.log(`trainer: ${runner.description}`);
  if (request.kind === 'job') return (await train(runner, request.job, hooks)).outputs;
  const { runs, epochs } = request;
  const onSkipped = (reason: string) => console.error(`skipped ${reason}`);
  const result = await trainVerifier(runner, { runs, out: values.out, epochs, onSkipped }, hooks);
  console.log(
    `verifier dataset: ${result.rows} scored runs from ${result.finishedRuns} finished runs → ${result.dataset}`,
  );
  return result.outputs;
}
