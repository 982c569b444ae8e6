import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../../src/core/paths';
import { documentedCommands, docFiles, type DocumentedCommand } from '../../support/documentedCommands';

/**
 * Docs as tests, the run: every `rollout …` / `npm run …` line of a fenced shell block in README.md and
 * docs/*.md is run, as pasted, with the real CLI (dist/cli.js) in a folder where the docs' own names exist:
 * `tasks/` is the bundled tasks and `runs/` the bundled reference recordings (the runs of the bundled tasks,
 * solved and unsolved). A command that does not exit 0 fails the test, named by file and line. The commands
 * that are not run are listed below, each with why; the list is checked against the docs both ways.
 */

const ROOT = packageRoot();

/** The fenced commands not run here, by their text, and why. */
const NOT_RUN: Record<string, string> = {
  'npm run demo': 'the whole demo (several minutes): test/integration/demo runs `rollout demo` end to end',
  'rollout run --tasks verified.parquet --policy openai:gpt-4o-mini --out runs/verified --workers 4':
    "SWE-bench Verified's instance images come from Docker Hub and a paid model; test/integration/sandbox/instanceRun runs an instance from a local registry",
  'rollout export --runs DIR… --format sft|dpo|rl|swebench-preds|swe-agent-traj --out DIR [--min-reward R] [--resolved-only] [--split val=0.1] [--min-margin 0.5] [--dpo-completion turn|remainder] [--tool-arguments object|string] [--tool-calls structured|text] [--secrets-file FILE]':
    'a usage synopsis, not a command (its options are checked by test/unit/docs)',
  'rollout import FILE --from swe-agent|mini-swe-agent|openhands|openai --out DIR [--task-id ID]':
    'a usage synopsis, not a command (its options are checked by test/unit/docs)',
  'rollout run --tasks cab.jsonl --policy openai:M --user-policy openai:U --judge-policy openai:J [--user-rounds 10] [--dockerfile-fallback]':
    'a usage synopsis, not a command (its options are checked by test/unit/docs)',
  'rollout run --tasks tasks/examples --policy openai:gpt-4o --attempts 4 --out /shared/runs --queue redis://queue-host:6379':
    'a deployment: a Redis host and a shared folder (test/integration/queue runs the queue on a local Redis)',
  'rollout worker --queue redis://queue-host:6379 --concurrency 4':
    'a deployment: a Redis host; a worker runs until stopped',
  'rollout worker --queue redis://queue-host:6379 --concurrency 8 --docker-host tcp://engine-a:2376 --docker-host ssh://ci@engine-b':
    'a deployment: a Redis host and two remote Docker engines',
  'rollout status --queue redis://queue-host:6379': 'a deployment: a Redis host',
  'rollout status --queue redis://queue-host:6379 --json': 'a deployment: a Redis host',
  'rollout status --queue redis://queue-host:6379 --cancel': 'a deployment: a Redis host',
  'rollout run --tasks tasks/examples --policy openai:gpt-4o --attempts 4 --out s3://rollouts/exp-7 --queue redis://queue-host:6379':
    'a deployment: a Redis host and an S3 bucket (test/integration/queue/s3Results runs it on a local S3 server)',
  'rollout pull s3://rollouts/exp-7 --out runs/exp-7': 'a deployment: an S3 bucket',
  'rollout train --method sft --data data/train.jsonl --base-model Qwen/Qwen2.5-Coder-1.5B-Instruct --out ft/':
    'a 1.5B-parameter model from the Hugging Face hub: a GPU job (the demo trains the same path on a tiny model)',
  'rollout serve --model ft/': 'serves the fine-tune of the line above, which is not trained here; runs until stopped',
  'rollout run --tasks tasks/examples --policy openai:ft@http://127.0.0.1:PORT/v1 --attempts 4 --out runs2/':
    'needs the server of the line above (the demo collects with its served fine-tune)',
  'rollout train --method pg --data rl/train.jsonl --base-model … --out pg/':
    'a base model of your choice (…): a GPU job',
  'rollout flywheel --tasks tasks/examples --policy openai:gpt-4o-mini --base-model … --out fly/ --iterations 2':
    'a paid model and a base model of your choice (…); the demo turns the flywheel on a tiny model',
};

/** Names the docs use for what the lines above would have made, and what stands in for them here. */
const STAND_INS: [RegExp, string][] = [
  // `runs2/` is what the served fine-tune collects; the bundled recordings stand in.
  [/(?<=\s)runs2\//g, 'runs/'],
];

interface CommandRun {
  where: string;
  text: string;
  code: number | null;
  output: string;
  /** stderr alone: where the CLI says what went wrong (the usage it shows after goes to stdout). */
  errors: string;
}

function runCommand({ where, text }: DocumentedCommand, cwd: string): Promise<CommandRun> {
  let line = text;
  for (const [name, standIn] of STAND_INS) line = line.replace(name, standIn);
  const [tool, ...args] = line.split(/\s+/);
  const argv =
    tool === 'rollout'
      ? [process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args]]
      : ['npm', ['--prefix', ROOT, ...args]];
  const child = spawn(argv[0] as string, argv[1] as string[], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    errors += chunk.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ where, text, code, output, errors })));
}

/** A folder where the docs' names exist: `tasks/` (the bundled tasks) and `runs/` (their reference recordings). */
function docsFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'rollout-docs-'));
  symlinkSync(join(ROOT, 'tasks'), join(folder, 'tasks'));
  const examples = join(ROOT, 'tasks', 'examples');
  for (const task of readdirSync(examples, { withFileTypes: true }).filter((entry) => entry.isDirectory())) {
    mkdirSync(join(folder, 'runs', task.name), { recursive: true });
    cpSync(join(examples, task.name, 'reference'), join(folder, 'runs', task.name), { recursive: true });
  }
  return folder;
}

/** What a failed command said: its first lines on stderr, or the end of its output when stderr is empty. */
function failureText(run: CommandRun): string {
  const lines = (run.errors.trim() ? run.errors : run.output).trim().split('\n');
  return (run.errors.trim() ? lines.slice(0, 3) : lines.slice(-3)).join(' | ');
}

/** Runs the commands one after another, in the docs' order, in one folder; a command's problem names its line. */
async function runDocumented(documented: DocumentedCommand[]): Promise<{ ran: CommandRun[]; problems: string[] }> {
  const cwd = docsFolder();
  const ran: CommandRun[] = [];
  for (const command of documented) ran.push(await runCommand(command, cwd));
  const problems = ran
    .filter((run) => run.code !== 0)
    .map((run) => `${run.where}: \`${run.text}\` exited ${run.code}: ${failureText(run)}`);
  return { ran, problems };
}

test('every fenced rollout and npm run command in README.md and docs/*.md runs as pasted, or is listed with why it is not (the real CLI and the real trainer)', async () => {
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
    runnable.map((command) => command.text),
    [
      'rollout export --runs runs/ --format sft --out data/',
      'rollout train --method verifier --runs runs/ --out verifier/',
      'rollout select --runs runs2/ --verifier verifier/',
      'rollout export --runs runs2/ --format rl --out rl/',
    ],
    'the commands run here (a new doc command runs here unless listed in NOT_RUN with why)',
  );
  const { problems } = await runDocumented(runnable);
  assert.deepEqual(problems, []);
});

test('a doc with a command that fails when run fails the docs run, named by file and line', async () => {
  const file = 'test/fixtures/docs/failing-run.md';
  const documented = documentedCommands(file, readFileSync(join(ROOT, file), 'utf8')).filter(
    (command) => command.fenced,
  );
  const { ran, problems } = await runDocumented(documented);
  assert.equal(ran.length, 2);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(
    problems[0],
    /^test\/fixtures\/docs\/failing-run\.md:5: `rollout export --runs runs\/ --format sft --min-reward high --out data2\/` exited \d+: .*--min-reward/,
  );
});
