import { CreateBucketCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { docsWorkspace } from '../../../scripts/docs-examples';
import { packageRoot } from '../../../src/core/paths';
import { RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import { s3Client } from '../../../src/core/queue/s3ResultStore';
import { queueStatus } from '../../../src/core/queue/status';
import { documentedCommands, docFiles, type DocumentedCommand } from '../../support/documentedCommands';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';
import { RedisProcess, S3Server } from '../queue/queueHarness';
import { cpuRunner, tinyModel } from '../train/helpers';

/**
 * Docs as tests, the run: every `rollout …` / `npm run …` line of a fenced shell block in README.md and
 * docs/*.md is run, as pasted, with the real CLI (dist/cli.js), in the docs' order, in one folder where the docs'
 * own names exist: `tasks/examples/` holds one bundled task (so that `--attempts 4` is four short rollouts) and
 * `runs/` that task's reference recordings, solved and unsolved (so that the fine-tunes train on a few
 * conversations). What the docs name but cannot exist here has a stand-in the test fills in (standIns): a local
 * redis-server, Ceph RGW for the bucket, the OpenAI wire-protocol test double for the models, a tiny model the
 * trainer writes for the base models. A command that runs until stopped (a worker, a model server) runs beside the
 * ones after it once it has done its part, and must exit 0 when stopped. A command that does not exit 0 fails the
 * test, named by file and line. The commands that are not run are listed below, each with why; the list is
 * checked against the docs both ways.
 */

const ROOT = packageRoot();
/** The bundled task the docs' `tasks/examples` holds here. */
const DOCS_TASK = 'pagekit__pagekit-14';

/** The fenced commands not run here, by their text, and why. */
const NOT_RUN: Record<string, string> = {
  'npm run demo': 'the whole demo (several minutes): test/integration/demo runs `rollout demo` end to end',
  'rollout run --tasks verified.parquet --policy openai:gpt-4o-mini --out runs/verified --workers 4':
    "SWE-bench Verified's instance images come from Docker Hub; test/integration/sandbox/instanceRun runs an instance from a local registry",
  'rollout export --runs DIR… --format sft|dpo|rl|swebench-preds|swe-agent-traj --out DIR [--min-reward R] [--resolved-only] [--split val=0.1] [--min-margin 0.5] [--dpo-completion turn|remainder] [--tool-arguments object|string] [--tool-calls structured|text] [--secrets-file FILE]':
    'a usage synopsis, not a command (its options are checked by test/unit/docs)',
  'rollout import FILE --from swe-agent|mini-swe-agent|openhands|openai --out DIR [--task-id ID]':
    'a usage synopsis, not a command (its options are checked by test/unit/docs)',
  'rollout run --tasks cab.jsonl --policy openai:M --user-policy openai:U --judge-policy openai:J [--user-rounds 10] [--dockerfile-fallback]':
    'a usage synopsis, not a command (its options are checked by test/unit/docs)',
  'rollout worker --queue redis://queue-host:6379 --concurrency 8 --docker-host tcp://engine-a:2376 --docker-host ssh://ci@engine-b':
    'two remote Docker engines: test/integration/sandbox/remoteEngine runs a rollout over tcp:// and a sandbox over ssh://',
  'rollout flywheel --tasks tasks/examples --policy openai:gpt-4o-mini --base-model … --out fly/ --iterations 2':
    'collect, fine-tune, serve and collect again, twice (many minutes on CPU): test/integration/demo turns the flywheel on a tiny model',
};

/** What the docs name that cannot exist here, and what stands in for it. */
interface StandInParts {
  /** The folder the commands run in (`/shared/runs` becomes a folder in it). */
  cwd: string;
  /** A local redis-server for `redis://queue-host:6379`. */
  redisUrl?: string;
  /** The scripted OpenAI wire-protocol server serving `gpt-4o`, for OpenAI's API. */
  gpt4oBaseURL?: string;
  /** The scripted OpenAI wire-protocol server serving `ft`, for the fine-tune `rollout serve` serves. */
  fineTuneBaseURL?: string;
  /** A tiny random model written by the trainer, for the docs' base models. */
  baseModel?: string;
}

function standIns(parts: StandInParts): [RegExp, string][] {
  const pairs: [RegExp, string | undefined][] = [
    [/redis:\/\/queue-host:6379/g, parts.redisUrl],
    [/(?<=\s)\/shared\/runs(?=\s|$)/g, join(parts.cwd, 'shared', 'runs')],
    [/openai:gpt-4o(?=\s|$)/g, parts.gpt4oBaseURL && `openai:gpt-4o@${parts.gpt4oBaseURL}`],
    [/http:\/\/127\.0\.0\.1:PORT\/v1/g, parts.fineTuneBaseURL],
    [/(?<=--base-model )(Qwen\/Qwen2\.5-Coder-1\.5B-Instruct|…)(?=\s|$)/g, parts.baseModel],
    // `runs2/` is what the fine-tune collects: here its runs join the bundled recordings in `runs/`, so that
    // best-of-N and the RL export see solved and unsolved attempts of each task.
    [/(?<=\s)runs2\//g, 'runs/'],
  ];
  return pairs.filter((pair): pair is [RegExp, string] => pair[1] !== undefined);
}

/**
 * Commands that run until stopped (a worker, a model server): started, waited on until they have done what the
 * docs start them for, and stopped (SIGTERM, which must end them with exit code 0) when every command has run.
 */
const SERVICES: {
  command: RegExp;
  done: string;
  until: (service: Service, parts: StandInParts) => Promise<boolean>;
}[] = [
  {
    command: /^rollout worker /,
    done: 'every queued job finished',
    async until(_, parts) {
      const rollouts = new RolloutQueue(parts.redisUrl as string);
      try {
        const status = await queueStatus(rollouts);
        return status.waiting + status.active + status.delayed === 0;
      } finally {
        await rollouts.close();
      }
    },
  },
  {
    command: /^rollout serve /,
    done: 'it printed the policy to use',
    until: async (service) => /^openai:\S+@http:\/\/\S+\/v1$/m.test(service.output),
  },
];

interface Service {
  where: string;
  text: string;
  child: ChildProcess;
  output: string;
  errors: string;
}

interface CommandRun {
  where: string;
  text: string;
  code: number | null;
  output: string;
  /** stderr alone: where the CLI says what went wrong (the usage it shows after goes to stdout). */
  errors: string;
}

function startCommand({ where, text }: DocumentedCommand, parts: StandInParts): Service {
  let line = text;
  for (const [name, standIn] of standIns(parts)) line = line.replace(name, standIn);
  const [tool, ...args] = line.split(/\s+/);
  const argv =
    tool === 'rollout'
      ? [process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args]]
      : ['npm', ['--prefix', ROOT, ...args]];
  const child = spawn(argv[0] as string, argv[1] as string[], { cwd: parts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const started: Service = { where, text, child, output: '', errors: '' };
  child.stdout?.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    started.output += chunk.toString();
    started.errors += chunk.toString();
  });
  return started;
}

function ended(service: Service): Promise<CommandRun> {
  const { where, text, child } = service;
  const result = (code: number | null) => ({ where, text, code, output: service.output, errors: service.errors });
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(result(child.exitCode));
  return new Promise((resolve) => child.once('close', (code) => resolve(result(code))));
}

/** How long a service may take to do its part before the docs run gives up on it (a bound on a hang, not a target). */
const SERVICE_LIMIT_MS = 600_000;

/** Waits until a service has done its part; a problem when it exits first or never does. */
async function waitForService(service: Service, parts: StandInParts): Promise<string | undefined> {
  const kind = SERVICES.find(({ command }) => command.test(service.text));
  if (!kind) return undefined;
  for (let waited = 0; waited < SERVICE_LIMIT_MS; waited += 500) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      const run = await ended(service);
      return `${run.where}: \`${run.text}\` exited ${run.code} before ${kind.done}: ${failureText(run)}`;
    }
    if (await kind.until(service, parts)) return undefined;
    await sleep(500);
  }
  return `${service.where}: \`${service.text}\`: not done (${kind.done}) after ${SERVICE_LIMIT_MS / 1000} s`;
}

/** What a failed command said: its first lines on stderr, or the end of its output when stderr is empty. */
function failureText(run: CommandRun): string {
  const lines = (run.errors.trim() ? run.errors : run.output).trim().split('\n');
  return (run.errors.trim() ? lines.slice(0, 3) : lines.slice(-3)).join(' | ');
}

/**
 * Runs the commands one after another, in the docs' order, in one folder; a service runs on beside the commands
 * after it once it has done its part. A command's problem names its line.
 */
async function runDocumented(
  documented: DocumentedCommand[],
  parts: StandInParts,
): Promise<{ ran: CommandRun[]; problems: string[] }> {
  const ran: CommandRun[] = [];
  const problems: string[] = [];
  const services: Service[] = [];
  try {
    for (const command of documented) {
      const started = startCommand(command, parts);
      if (SERVICES.some((kind) => kind.command.test(command.text))) {
        services.push(started);
        const problem = await waitForService(started, parts);
        if (problem) problems.push(problem);
      } else ran.push(await ended(started));
    }
  } finally {
    for (const service of services) service.child.kill('SIGTERM');
    for (const service of services) ran.push(await ended(service));
  }
  for (const run of ran.filter((run) => run.code !== 0))
    problems.push(`${run.where}: \`${run.text}\` exited ${run.code}: ${failureText(run)}`);
  return { ran, problems: [...new Set(problems)] };
}

test('every fenced rollout and npm run command in README.md and docs/*.md runs as pasted, or is listed with why it is not (the real CLI, real Docker, real Redis, real Ceph RGW, the real trainer on a tiny model, the OpenAI wire-protocol test double for the models)', async () => {
  const fenced = docFiles()
    .flatMap((file) => documentedCommands(file, readFileSync(join(ROOT, file), 'utf8')))
    .filter((command) => command.fenced)
    .map((command) => ({ ...command, text: command.text.replace(/\s+/g, ' ') }));
  const texts = new Set(fenced.map((command) => command.text));
  assert.deepEqual(
    Object.keys(NOT_RUN).filter((text) => !texts.has(text)),
    [],
    'every command listed as not run is still in the docs',
  );
  const runnable = fenced.filter((command) => !(command.text in NOT_RUN));
  assert.deepEqual(
    runnable.map((command) => command.text.split(' ').slice(0, 2).join(' ')),
    [
      ...['rollout run', 'rollout worker', 'rollout status', 'rollout status', 'rollout status'],
      ...['rollout run', 'rollout worker', 'rollout pull'],
      ...['rollout export', 'rollout train', 'rollout serve', 'rollout run', 'rollout train', 'rollout select'],
      ...['rollout export', 'rollout train'],
    ],
    'the commands run here (a new doc command runs here unless listed in NOT_RUN with why)',
  );

  const [redis, s3, gpt4o, fineTune, baseModel] = await Promise.all([
    RedisProcess.start(),
    S3Server.start(),
    // Every model call is answered with a submit: four rollouts of the task per `--attempts 4`, each one turn.
    ScriptedOpenAIServer.start([], { model: 'gpt-4o', respond: () => step.toolCall('submit', {}) }),
    ScriptedOpenAIServer.start([], { model: 'ft', respond: () => step.toolCall('submit', {}) }),
    cpuRunner().then(tinyModel),
  ]);
  const cwd = docsWorkspace([DOCS_TASK]);
  try {
    // The CLI finds the store through the AWS SDK's usual settings, as the docs' `export AWS_…` lines set them.
    Object.assign(process.env, s3.env);
    await s3Client().send(new CreateBucketCommand({ Bucket: 'rollouts' }));
    const parts: StandInParts = {
      cwd,
      redisUrl: redis.url,
      gpt4oBaseURL: gpt4o.baseURL,
      fineTuneBaseURL: fineTune.baseURL,
      baseModel,
    };
    const { problems } = await runDocumented(runnable, parts);
    assert.deepEqual(problems, []);
  } finally {
    await Promise.all([redis.stop(), s3.stop(), gpt4o.close(), fineTune.close()]);
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('a doc with a command that fails when run fails the docs run, named by file and line', async () => {
  const file = 'test/fixtures/docs/failing-run.md';
  const documented = documentedCommands(file, readFileSync(join(ROOT, file), 'utf8')).filter(
    (command) => command.fenced,
  );
  const { ran, problems } = await runDocumented(documented, { cwd: docsWorkspace([DOCS_TASK]) });
  assert.equal(ran.length, 2);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(
    problems[0],
    /^test\/fixtures\/docs\/failing-run\.md:5: `rollout export --runs runs\/ --format sft --min-reward high --out data2\/` exited \d+: .*--min-reward/,
  );
});
