import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { commandNamed, commands } from '../../../src/cli/commands/index';
import {
  countOption,
  helpText,
  numberOption,
  optionsMissingFromUsage,
  parseCommandLine,
  parseOptions,
  UsageError,
} from '../../../src/cli/grammar';

const OPTIONS = {
  runs: { type: 'string', multiple: true },
  out: { type: 'string' },
  json: { type: 'boolean' },
  workers: { type: 'string', default: '2' },
} as const;

test('a multi-value option takes repeated and space-separated values alike, up to the next option or --', () => {
  const spaced = parseOptions(OPTIONS, ['--runs', 'a', 'b', '--out', 'o', '--runs', 'c']);
  assert.deepEqual(spaced.values.runs, ['a', 'b', 'c']);
  assert.equal(spaced.values.out, 'o');
  const repeated = parseOptions(OPTIONS, ['--runs', 'a', '--runs', 'b', '--runs=c']);
  assert.deepEqual(repeated.values.runs, ['a', 'b', 'c']);
  const ended = parseOptions(OPTIONS, ['--runs', 'a', '--json', 'x'], true);
  assert.deepEqual([ended.values.runs, ended.positionals], [['a'], ['x']], 'a boolean option ends the values');
  const terminated = parseOptions(OPTIONS, ['--runs', 'a', '--', 'x'], true);
  assert.deepEqual([terminated.values.runs, terminated.positionals], [['a'], ['x']]);
  assert.equal(spaced.values.workers, '2', 'defaults fill what is not given');
});

test('rollout replay, the former name of rollout reexecute, runs that same command (a documented alias)', async () => {
  assert.equal(await commandNamed('replay')?.(), await commands.reexecute());
  assert.equal(commandNamed('reexecute'), commands.reexecute);
  assert.equal(commandNamed('constructor'), undefined, 'only commands and their former names');
  assert.match((await commands.reexecute()).summary, /re-execute a recorded trajectory/);
});

test('a bad command line is a UsageError naming the problem', () => {
  assert.throws(
    () => parseOptions(OPTIONS, ['--nope']),
    (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /--nope/);
      return true;
    },
  );
  assert.throws(() => parseOptions(OPTIONS, ['--out', 'o', 'stray']), /unexpected argument 'stray'/);
  assert.throws(() => parseOptions(OPTIONS, ['--out']), UsageError);
});

test('--help and -h are the help, exit code 0; a bad line is exit code 2', () => {
  const line = {
    command: 'x',
    usage: 'usage: rollout x --runs DIR… --out DIR [--json] [--workers N]',
    options: OPTIONS,
  };
  const printed: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = console.error = (text: string) => printed.push(text);
  try {
    assert.equal(parseCommandLine(line, ['--help']), 0);
    assert.equal(parseCommandLine(line, ['-h']), 0);
    assert.equal(parseCommandLine(line, ['--out', 'o', '-h']), 0);
    assert.equal(parseCommandLine(line, ['--bogus']), 2);
  } finally {
    console.log = log;
    console.error = error;
  }
  assert.equal(printed[0], line.usage);
  assert.match(printed.at(-1) ?? '', /^rollout x: .*--bogus[\s\S]*usage: rollout x/);
});

test('a required option left out is named, exit code 2; --help still answers without it', () => {
  const line = {
    command: 'x',
    usage: 'usage: rollout x --runs DIR… --out DIR [--json] [--workers N]',
    options: OPTIONS,
    required: ['runs', 'out'] as const,
  };
  const printed: string[] = [];
  const error = console.error;
  const log = console.log;
  console.error = console.log = (text: string) => printed.push(text);
  try {
    assert.equal(parseCommandLine(line, ['--runs', 'a']), 2);
    assert.equal(parseCommandLine(line, ['--json']), 2);
    assert.equal(parseCommandLine(line, ['--help']), 0);
    const parsed = parseCommandLine(line, ['--runs', 'a', '--out', 'o']);
    assert.ok(typeof parsed === 'object');
    assert.deepEqual([parsed.values.runs, parsed.values.out], [['a'], 'o']);
  } finally {
    console.error = error;
    console.log = log;
  }
  assert.match(printed[0], /^rollout x: --out is required\n\nusage: rollout x/);
  assert.match(printed[1], /^rollout x: --runs and --out are required\n/);
  assert.equal(printed[2], line.usage);
});

test('the real commands name the required options a command line left out', () => {
  const cli = join(__dirname, '..', '..', '..', '..', 'dist', 'cli.js');
  const cases: [string[], RegExp][] = [
    [['run', '--tasks', 't', '--policy', 'p'], /^rollout run: --out is required\n/],
    [['run', '--tasks', 't', '--out', 'o'], /^rollout run: --policy \(or --resume\) is required\n/],
    [['export', '--runs', 'r'], /^rollout export: --format and --out are required\n/],
    [['eval'], /^rollout eval: --tasks, --predictions and --out are required\n/],
    [['import', '--from', 'swe-agent', '--out', 'o'], /^rollout import: one FILE is required \(got 0\)\n/],
    [['train', '--method', 'sft', '--out', 'o'], /^rollout train: --data and --base-model are required\n/],
    [['train', '--method', 'verifier', '--out', 'o'], /^rollout train: --method verifier needs --runs DIR/],
  ];
  // No trainer to be found: a command line that is wrong fails before any trainer is looked for.
  const env = { ...process.env, ROLLOUT_TRAINER_DIR: join(__dirname, 'no-such-trainer') };
  for (const [args, message] of cases) {
    const ran = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, env });
    assert.equal(ran.status, 2, `rollout ${args.join(' ')}: ${ran.stderr}`);
    assert.match(ran.stderr, message);
  }
});

test('an option the usage forgot is listed by --help under a heading that says so', () => {
  const usage = 'usage: rollout x --runs DIR… [--json]';
  assert.deepEqual(optionsMissingFromUsage(OPTIONS, usage), ['--out', '--workers']);
  assert.match(helpText({ usage, options: OPTIONS }), /options not described above: --out --workers$/);
  assert.deepEqual(optionsMissingFromUsage({ 'max-turns': { type: 'string' } }, '--max-turns-x'), ['--max-turns']);
});

test('every rollout command answers --help with exit code 0 and a usage that describes every option it takes', async () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (text: string) => printed.push(text);
  try {
    for (const [name, load] of Object.entries(commands)) {
      printed.length = 0;
      assert.equal(await (await load()).run(['--help']), 0, `rollout ${name} --help`);
      const help = printed.join('\n');
      assert.match(help, new RegExp(`^usage: rollout ${name}\\b`), `rollout ${name} --help`);
      assert.doesNotMatch(help, /options not described above/, `rollout ${name} --help`);
    }
  } finally {
    console.log = log;
  }
});

test('a bad value of an export option is a usage problem (exit code 2) naming the flag, before any run is read', async () => {
  const printed: string[] = [];
  const error = console.error;
  console.error = (text: string) => printed.push(text);
  const exportCommand = await commands.export();
  const base = ['--runs', 'no-such-runs', '--format', 'sft', '--out', 'no-such-out'];
  try {
    assert.equal(await exportCommand.run([...base, '--min-reward', 'high']), 2);
    assert.equal(await exportCommand.run([...base, '--split', 'val=2']), 2);
    assert.equal(await exportCommand.run([...base, '--tool-calls', 'xml']), 2);
    assert.equal(await exportCommand.run([...base, '--min-margin', '0']), 2);
    assert.equal(await exportCommand.run([...base, '--min-margin=-0.5']), 2);
  } finally {
    console.error = error;
  }
  assert.match(printed[0], /^rollout export: --min-reward: expected a number, got 'high'[\s\S]*usage: rollout export/);
  assert.match(printed[1], /^rollout export: --split: /);
  assert.match(printed[2], /^rollout export: --tool-calls: expected structured or text/);
  assert.match(printed[3], /^rollout export: --min-margin: expected a number above 0 .*, got '0'/);
  assert.match(printed[4], /^rollout export: --min-margin: expected a number above 0 .*, got '-0.5'/);
});

test('a number option is read one way everywhere: its kind checked, the option and the text named', () => {
  assert.equal(numberOption('min-reward', undefined), undefined);
  assert.equal(numberOption('min-reward', '-0.5'), -0.5);
  assert.equal(numberOption('seed', '0', { integer: true, min: 0 }), 0);
  assert.equal(countOption('workers', undefined, 3), 3);
  assert.equal(countOption('workers', '4', 3), 4);
  const refusals: [() => unknown, RegExp][] = [
    [() => numberOption('min-reward', 'high'), /^--min-reward: expected a number, got 'high'$/],
    [() => numberOption('min-reward', ' '), /expected a number, got ' '/],
    [() => numberOption('min-reward', 'Infinity'), /expected a number/],
    [() => numberOption('exit-code', '1.5', { integer: true }), /^--exit-code: expected a whole number, got '1.5'$/],
    [() => countOption('workers', '0', 1), /^--workers: expected a whole number of at least 1, got '0'$/],
    [() => countOption('attempts', 'two', 1), /^--attempts: expected a whole number of at least 1, got 'two'$/],
  ];
  for (const [read, message] of refusals)
    assert.throws(read, (error: unknown) => error instanceof UsageError && message.test(error.message));
});

test('a bad number on the real command line exits 2 naming the option, before anything runs', () => {
  const cli = join(__dirname, '..', '..', '..', '..', 'dist', 'cli.js');
  const cases: [string[], RegExp][] = [
    [
      ['run', '--tasks', 'no-such-tasks', '--policy', 'scripted', '--out', 'no-such-out', '--attempts', 'two'],
      /^rollout run: --attempts: /,
    ],
    [['report', '.', '--bootstrap', '0'], /^rollout report: --bootstrap: expected a whole number of at least 1/],
    [['demo', '--workers', 'many', '--no-train'], /^rollout demo: --workers: /],
    [['serve', '--model', 'm', '--port', '70000'], /^rollout serve: --port: expected a port number/],
  ];
  for (const [args, message] of cases) {
    const ran = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(ran.status, 2, `rollout ${args.join(' ')}: ${ran.stderr}`);
    assert.match(ran.stderr, message);
  }
});
