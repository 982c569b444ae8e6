import { join, resolve } from 'node:path';
import { DEFAULT_AGENT_CONFIG } from '../../core/agent/config';
import { ModelSettingsError } from '../../core/agent/policies/modelSettings';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import { REWARD_FUNCTIONS } from '../../core/reward/index';
import { loadTasksStrict } from '../../core/task/loadTasks';
import { formatFlywheel, runFlywheel, type FlywheelFilter } from '../../core/train/flywheel';
import { chooseRunner, type Device } from '../../core/train/jobs';
import {
  TRAINING_FLAGS,
  TrainingOptionError,
  trainingArgs,
  trainingOptionsFrom,
  trainingOptionsUsage,
} from '../../core/train/options';
import { formatRunnerEvent } from '../../core/train/runner';
import { compactionFromFlags, MODEL_FLAGS, MODEL_FLAGS_USAGE, modelSettingsFromFlags } from '../modelOptions';
import type { CliCommand } from './index';
import { countOption, parseCommandLine, usageProblem } from '../grammar';

const USAGE = `usage: rollout flywheel --tasks FILE --policy SPEC --base-model PATH_OR_ID --out DIR [options]

Collect → filter → fine-tune → serve → collect again: iteration 0 runs SPEC on the tasks; each next
iteration LoRA-trains the base model (SFT) on every run kept so far, serves it and runs it on the same
tasks. Ends with the resolved rate of every iteration.

  --iterations N       rounds of fine-tuning (default 2)
  --attempts K         rollouts per task and iteration (default 2)
  --filter F           resolved (default): train on resolved runs; verifier: on the outcome verifier's
                       best attempt per task (trained on the runs so far)
  --ids A,B            only these task ids
  --workers N          rollouts at a time (default 2)
  --max-turns N        model calls per rollout (default ${DEFAULT_AGENT_CONFIG.maxTurns})
  --reward NAME        ${Object.keys(REWARD_FUNCTIONS).join(' | ')} (default binary)
  --device D           auto, cuda or cpu (training and serving)
  --docker-image IMG   train and serve in a container from IMG, GPUs passed through when nvidia-smi finds one
${MODEL_FLAGS_USAGE}
training options (as on rollout train):
${trainingOptionsUsage()}`;

const OPTIONS = {
  tasks: { type: 'string' },
  policy: { type: 'string' },
  'base-model': { type: 'string' },
  out: { type: 'string' },
  iterations: { type: 'string' },
  attempts: { type: 'string' },
  filter: { type: 'string', default: 'resolved' },
  ids: { type: 'string' },
  workers: { type: 'string' },
  'max-turns': { type: 'string' },
  reward: { type: 'string', default: 'binary' },
  device: { type: 'string' },
  'docker-image': { type: 'string' },
  ...TRAINING_FLAGS,
  ...MODEL_FLAGS,
} as const;

export const flywheelCommand: CliCommand = {
  summary: 'collect, filter, fine-tune, serve and collect again; the resolved rate per iteration',
  async run(args) {
    const parsed = parseCommandLine(
      { command: 'flywheel', usage: USAGE, options: OPTIONS, required: ['tasks', 'policy', 'base-model', 'out'] },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const usage = (message: string) => usageProblem('flywheel', USAGE, message);
    if (values.filter !== 'resolved' && values.filter !== 'verifier')
      return usage(`--filter must be resolved or verifier, not ${values.filter}`);
    if (!REWARD_FUNCTIONS[values.reward])
      return usage(`--reward must be one of ${Object.keys(REWARD_FUNCTIONS).join(', ')}`);
    let training, settings, compaction;
    try {
      training = trainingOptionsFrom(values);
      trainingArgs('sft', training);
      settings = modelSettingsFromFlags(values);
      compaction = compactionFromFlags(values);
    } catch (error) {
      if (error instanceof TrainingOptionError || error instanceof ModelSettingsError) return usage(error.message);
      throw error;
    }
    const tasks = await loadTasksStrict(values.tasks);
    const wanted = values.ids?.split(',').map((id) => id.trim());
    const chosen = wanted ? tasks.filter((task) => wanted.includes(task.id)) : tasks;
    if (!chosen.length) return usage(`--ids: none of ${values.ids} is among the tasks`);
    const runner = await chooseRunner({ dockerImage: values['docker-image'], onLog: (line) => console.error(line) });
    const out = resolve(values.out);
    const results = await runFlywheel({
      tasks: chosen,
      initialPolicy: values.policy,
      baseModel: values['base-model'],
      iterations: countOption('iterations', values.iterations, 2),
      attempts: countOption('attempts', values.attempts, 2),
      workers: countOption('workers', values.workers, 2),
      out,
      filter: values.filter as FlywheelFilter,
      runner,
      evaluator: await dockerEvaluatorOptions({ runId: 'flywheel' }),
      reward: values.reward,
      training,
      device: values.device as Device | undefined,
      agentConfig: {
        maxTurns: countOption('max-turns', values['max-turns'], DEFAULT_AGENT_CONFIG.maxTurns),
        ...(compaction ? { compaction } : {}),
      },
      policyOptions: { settings },
      log: (line) => console.log(`  ${line}`),
      trainerHooks: {
        onEvent: (event) => {
          if (event.event === 'progress' || event.event === 'placement') console.log(`  ${formatRunnerEvent(event)}`);
        },
      },
    });
    console.log(`\n${formatFlywheel(results)}`);
    console.log(`\nwritten under ${join(out)}`);
    return 0;
  },
};
