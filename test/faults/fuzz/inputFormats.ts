/**
 * Property-based fuzzing of every file format the project reads: each format is a fast-check arbitrary of
 * inputs (real rows and logs, mutated at the value level and then at the byte level) and a judge that loads the
 * input through the same entry point the CLI uses. An input must load, or fail with an error that names its file
 * (and its line where the format has lines); any other exception (TypeError, RangeError…) breaks the property.
 * The CI test runs a few hundred inputs per format, `npm run bench:faults` ten thousand.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTasks } from '../../../src/core/task/loadTasks';
import type { Task } from '../../../src/core/task/task';
import { readForeignTrajectories, type ImportFormat } from '../../../src/core/trajectory/import/importer';
import { FolderNotFileError, NotUtf8Error } from '../../../src/core/textFile';
import { checkTrajectoryEvent } from '../../../src/core/trajectory/schema';
import { TRAJECTORY_SCHEMA_VERSION, type Trajectory } from '../../../src/core/trajectory/types';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';

// Bundled into out/test/faults/*.js and out/bench/faults/index.js: three folders below the root either way.
const ROOT = join(__dirname, '..', '..', '..');
const EXAMPLES = join(ROOT, 'tasks', 'examples');
const FIXTURES = join(ROOT, 'test', 'fixtures');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What became of one input: it loaded (possibly with some rows or lines reported), or it was refused as a whole. */
export type Outcome = 'loaded' | 'rejected';

export interface FuzzFormat {
  name: string;
  /** The property over generated inputs, written under `dir`; `count` hears each input's outcome. */
  property(dir: string, count: (outcome: Outcome) => void): fc.IAsyncProperty<[unknown]>;
}

/** A format from its inputs and its judge, which writes one input under `dir`, loads it, and throws when the guarantee breaks. */
function fuzzed<T>(
  name: string,
  inputs: () => fc.Arbitrary<T>,
  judge: (input: T, dir: string) => Promise<Outcome>,
): FuzzFormat {
  return {
    name,
    property: (dir, count) =>
      fc.asyncProperty(inputs(), async (input) => count(await judge(input, dir))) as fc.IAsyncProperty<[unknown]>,
  };
}

export interface FuzzFigures {
  format: string;
  inputs: number;
  loaded: number;
  rejected: number;
}

// ---------- value-level mutations ----------

/** Values that loaders meet in real files and handle badly when they do: encodings, Python literals, sizes. */
const awkwardValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(
    'None',
    '',
    ' ',
    'null',
    '[]',
    "['a', 'b'",
    "['a', None, True]",
    '["a", 1]',
    "{'a': (1, 2)}",
    '\u0000',
    '\ud800',
    'x'.repeat(5_000),
    -1,
    1e309 as number,
    Number.MAX_SAFE_INTEGER + 2,
    [],
    {},
    [[]],
    { __proto__: 1 } as Json,
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

interface Mutation {
  op: 'delete' | 'replace' | 'add';
  path: number[];
  value: Json;
  key: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('delete', 'replace', 'replace', 'add'),
  path: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
  value: awkwardValue,
  key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'type', 'role', 'content')),
});

/** Applies a mutation at the path (each step picks a key or index by its number modulo the size). */
function mutate(value: Json, { op, path, value: replacement, key }: Mutation): Json {
  if (value === null || typeof value !== 'object') return op === 'replace' ? replacement : value;
  const keys = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  if (keys.length === 0) return op === 'add' ? addTo(value, key, replacement) : value;
  const chosen = keys[path[0] % keys.length];
  const child = (value as Record<string | number, Json>)[chosen];
  const copy: Json = Array.isArray(value) ? [...value] : { ...value };
  const slot = copy as Record<string | number, Json>;
  if (path.length > 1 && child !== null && typeof child === 'object') {
    slot[chosen] = mutate(child, { op, path: path.slice(1), value: replacement, key });
    return copy;
  }
  if (op === 'add') return addTo(copy, key, replacement);
  if (op === 'delete') {
    if (Array.isArray(copy)) copy.splice(Number(chosen), 1);
    else delete slot[chosen];
    return copy;
  }
  slot[chosen] = replacement;
  return copy;
}

function addTo(value: Json[] | { [key: string]: Json }, key: string, added: Json): Json {
  if (Array.isArray(value)) return [...value, added];
  const copy: Record<string, Json> = { ...value };
  Object.defineProperty(copy, key, { value: added, enumerable: true, writable: true, configurable: true });
  return copy;
}

const mutatedFrom = (bases: Json[]): fc.Arbitrary<Json> =>
  fc
    .tuple(fc.constantFrom(...bases), fc.array(mutation, { maxLength: 3 }))
    .map(([base, mutations]) => mutations.reduce(mutate, base));

// ---------- byte-level damage ----------

type Damage =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'flip'; at: number; byte: number };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Damage>({ kind: 'none' }) },
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    // Invalid UTF-8 (0xc3 alone, 0xff), NUL, CR and newlines among them.
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    byte: fc.constantFrom(0x00, 0x0a, 0x22, 0x5c, 0x7b, 0x7d, 0xc3, 0xff),
  }),
);

function damaged(text: string, harm: Damage): Buffer {
  const bytes = Buffer.from(text);
  if (harm.kind === 'none') return bytes;
  const at = Math.floor(harm.at * bytes.length);
  if (harm.kind === 'truncate') return bytes.subarray(0, at);
  if (harm.kind === 'insert') return Buffer.concat([bytes.subarray(0, at), harm.bytes, bytes.subarray(at)]);
  const copy = Buffer.from(bytes);
  if (at < copy.length) copy[at] = harm.byte;
  return copy;
}

// ---------- judges ----------

/** The project's own refusals of a file as a whole (bytes that are not UTF-8, a folder in a file's place). */
const INPUT_REFUSALS: (new (...args: never[]) => Error)[] = [Error, NotUtf8Error, FolderNotFileError];

/**
 * A refusal must be a plain Error, or one of the project's own refusals of a file, that names the input: not a
 * TypeError or a stack from deep inside.
 */
function assertNamedRefusal(error: unknown, names: string): void {
  assert.ok(error instanceof Error, `threw a non-Error: ${String(error)}`);
  assert.ok(
    INPUT_REFUSALS.includes(error.constructor as new () => Error),
    `threw a ${error.constructor.name}: ${error.stack}`,
  );
  assert.ok(error.message.includes(names), `the error does not name ${names}: ${error.message}`);
}

function assertTaskShape(task: Task): void {
  for (const field of ['id', 'problemStatement', 'hints', 'testPatch', 'goldPatch'] as const)
    assert.equal(typeof task[field], 'string', `task.${field} is ${typeof task[field]}`);
  assert.ok(task.id.trim() !== '', 'a task id is empty');
  for (const field of ['failToPass', 'passToPass'] as const)
    assert.ok(
      Array.isArray(task[field]) && task[field].every((test) => typeof test === 'string'),
      `task.${field} is not a list of strings`,
    );
}

/** Loads a task file or folder the way `rollout tasks` does and judges the result. */
async function judgeTaskLoad(path: string, options: { linesNamed: boolean }): Promise<Outcome> {
  let result;
  try {
    result = await loadTasks(path);
  } catch (error) {
    assertNamedRefusal(error, path);
    return 'rejected';
  }
  for (const error of result.errors) {
    assert.ok(error.file.startsWith(path), `an error names ${error.file}, not the input ${path}`);
    assert.ok(error.message.trim() !== '', 'an error without a message');
    if (options.linesNamed) assert.ok(Number.isInteger(error.line), `no line: ${JSON.stringify(error)}`);
  }
  result.tasks.forEach(assertTaskShape);
  return result.tasks.length > 0 ? 'loaded' : 'rejected';
}

// ---------- formats ----------

function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

function jsonLines(path: string): Json[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json);
}

function exampleTaskDirs(): string[] {
  return readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(EXAMPLES, entry.name));
}

/** Rows in a JSON array or JSON Lines file: one to three mutated rows, then byte damage. */
function rowFile(name: string, bases: () => Json[], extension: 'json' | 'jsonl'): FuzzFormat {
  return fuzzed(
    name,
    () => fc.record({ rows: fc.array(mutatedFrom(bases()), { minLength: 1, maxLength: 3 }), harm: damage }),
    async ({ rows, harm }, dir) => {
      const text =
        extension === 'json'
          ? `[\n${rows.map((row) => JSON.stringify(row, null, 1)).join(',\n')}\n]\n`
          : `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;
      const file = join(dir, `tasks.${extension}`);
      writeFileSync(file, damaged(text, harm));
      return judgeTaskLoad(file, { linesNamed: true });
    },
  );
}

function sweBenchRows(): Json[] {
  return [
    ...(readJson(join(FIXTURES, 'swe-bench', 'swe-bench-lite-sample.json')) as Json[]),
    ...jsonLines(join(FIXTURES, 'swe-bench', 'swe-bench-lite-sample-string-lists.jsonl')),
  ];
}

function cabRows(): Json[] {
  return [
    ...jsonLines(join(FIXTURES, 'cab', 'cab_python_literal.jsonl')),
    ...jsonLines(join(FIXTURES, 'cab', 'cab_verified_lenient.jsonl')).slice(0, 8),
  ];
}

/** A task folder: a mutated task.json, the repo folder there or not, patches as random text. */
const taskFolder = fuzzed(
  'task folder',
  () =>
    fc.record({
      task: mutatedFrom(exampleTaskDirs().map((folder) => readJson(join(folder, 'task.json')))),
      harm: damage,
      repo: fc.boolean(),
      goldPatch: fc.option(fc.string({ unit: 'binary', maxLength: 200 })),
    }),
  async ({ task, harm, repo, goldPatch }, dir) => {
    const folder = join(dir, 'task');
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
    writeFileSync(join(folder, 'task.json'), damaged(JSON.stringify(task, null, 2), harm));
    if (repo) mkdirSync(join(folder, 'repo'));
    if (goldPatch !== null) writeFileSync(join(folder, 'gold.patch'), goldPatch);
    return judgeTaskLoad(folder, { linesNamed: false });
  },
);

function referenceLogs(): string[] {
  return exampleTaskDirs().flatMap((folder) =>
    ['solved', 'unsolved'].flatMap((which) => {
      const path = join(folder, 'reference', which, 'trajectory.jsonl');
      return existsSync(path) ? [readFileSync(path, 'utf8')] : [];
    }),
  );
}

/** Our own run logs (every example's reference trajectories): lines mutated, then the file damaged. */
const trajectoryLog = fuzzed(
  'trajectory.jsonl',
  () =>
    fc.record({
      log: fc.constantFrom(...referenceLogs()),
      edits: fc.array(fc.tuple(fc.nat(), mutation), { maxLength: 3 }),
      harm: damage,
    }),
  async ({ log, edits, harm }, dir) => {
    const lines = log.split('\n').filter((line) => line !== '');
    for (const [index, edit] of edits) {
      const at = index % lines.length;
      lines[at] = JSON.stringify(mutate(JSON.parse(lines[at]) as Json, edit));
    }
    const file = join(dir, 'trajectory.jsonl');
    const bytes = damaged(`${lines.join('\n')}\n`, harm);
    writeFileSync(file, bytes);
    const lineCount = bytes.toString('utf8').split('\n').length;
    let read;
    try {
      read = await readTrajectoryLog(file);
    } catch (error) {
      assert.fail(`readTrajectoryLog threw instead of reporting the bad lines: ${(error as Error).stack}`);
    }
    for (const problem of read.problems) {
      assert.equal(problem.file, file);
      assert.ok(problem.line >= 1 && problem.line <= lineCount, `problem at line ${problem.line} of ${lineCount}`);
    }
    return read.trajectory ? 'loaded' : 'rejected';
  },
);

/**
 * A run log cut at any byte (a writer killed mid-line): every complete line before the cut is read, nothing is
 * reported as bad, and only a cut inside a line marks a torn final line.
 */
const truncatedTrajectoryLog = fuzzed(
  'trajectory.jsonl cut anywhere',
  () =>
    fc
      .constantFrom(...referenceLogs())
      .chain((log) => fc.tuple(fc.constant(Buffer.from(log)), fc.nat({ max: Buffer.byteLength(log) }))),
  async ([log, cut], dir) => {
    const file = join(dir, 'trajectory.jsonl');
    writeFileSync(file, log.subarray(0, cut));
    const kept = log.subarray(0, cut).toString('utf8');
    const completeLines = kept.split('\n').slice(0, -1);
    const read = await readTrajectoryLog(file);
    assert.deepEqual(read.problems, []);
    const turnLines = completeLines.filter((line) => line.startsWith('{"type":"turn"')).length;
    assert.equal(read.trajectory?.turns.length ?? 0, turnLines, 'every complete turn line is read');
    assert.equal(read.tornFinalLine, !kept.endsWith('\n') && kept !== '');
    return read.trajectory ? 'loaded' : 'rejected';
  },
);

/**
 * A foreign trajectory file read the way `rollout import` reads it (parsed and converted); every trajectory it
 * yields must pass the schema the recorder checks each line against before writing it.
 */
function foreignTrajectory(from: ImportFormat, bases: () => { text: string; extension: string }[]): FuzzFormat {
  return fuzzed(
    `${from} import`,
    () => fc.record({ base: fc.constantFrom(...bases()), edits: fc.array(mutation, { maxLength: 3 }), harm: damage }),
    async ({ base, edits, harm }, dir) => {
      const file = join(dir, `input${base.extension}`);
      const mutated =
        base.extension === '.jsonl'
          ? base.text
              .split('\n')
              .filter((line) => line !== '')
              .map((line) => JSON.stringify(edits.reduce(mutate, JSON.parse(line) as Json)))
              .join('\n')
          : JSON.stringify(edits.reduce(mutate, JSON.parse(base.text) as Json));
      writeFileSync(file, damaged(mutated, harm));
      try {
        for await (const trajectory of readForeignTrajectories(file, from)) assertRecordable(trajectory);
        return 'loaded';
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assertNamedRefusal(error, file);
        return 'rejected';
      }
    },
  );
}

/** The lines the recorder would write for a trajectory, each checked against the log schema. */
function assertRecordable(trajectory: Trajectory): void {
  const lines = [
    { type: 'run_started', schema_version: TRAJECTORY_SCHEMA_VERSION, run: trajectory.run },
    ...trajectory.turns.map((turn) => ({ type: 'turn', turn })),
    ...trajectory.events.map((event) => ({ type: 'event', event })),
    ...(trajectory.result ? [{ type: 'run_finished', result: trajectory.result }] : []),
  ];
  for (const line of lines) {
    const invalid = checkTrajectoryEvent(JSON.parse(JSON.stringify(line)));
    assert.equal(invalid, null, `an accepted input became an invalid ${line.type} line`);
  }
}

const fixtureText = (...path: string[]) => ({
  text: readFileSync(join(FIXTURES, ...path), 'utf8'),
  extension: path[path.length - 1].endsWith('.jsonl') ? '.jsonl' : '.json',
});

const OPENAI_CONVERSATION = JSON.stringify({
  messages: [
    { role: 'system', content: 'You fix bugs.' },
    { role: 'user', content: 'list files' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 't1', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }],
    },
    { role: 'tool', tool_call_id: 't1', content: 'a.py' },
    { role: 'assistant', content: 'There is a.py.' },
  ],
  tools: [{ type: 'function', function: { name: 'bash', parameters: { type: 'object' } } }],
  id: 'conv-7',
});

export function fuzzFormats(): FuzzFormat[] {
  return [
    rowFile('SWE-bench JSON', sweBenchRows, 'json'),
    rowFile('SWE-bench JSONL', sweBenchRows, 'jsonl'),
    rowFile('CodeAssistBench JSONL', cabRows, 'jsonl'),
    taskFolder,
    trajectoryLog,
    truncatedTrajectoryLog,
    foreignTrajectory('swe-agent', () => [
      fixtureText('swe-agent', 'swe-agent__test-repo-i1.traj'),
      fixtureText('swe-agent', '6e44b9__sweagenttestrepo-1c2844.traj'),
    ]),
    foreignTrajectory('mini-swe-agent', () => [
      fixtureText('trajectories', 'mini-swe-agent', 'local.traj.json'),
      fixtureText('trajectories', 'mini-swe-agent', 'swe-agent__test-repo-i1.traj.json'),
    ]),
    foreignTrajectory('openhands', () => [fixtureText('trajectories', 'openhands', 'basic.json')]),
    foreignTrajectory('openai', () => [
      { text: `${OPENAI_CONVERSATION}\n${OPENAI_CONVERSATION}\n`, extension: '.jsonl' },
    ]),
  ];
}

/**
 * Runs `runs` generated inputs of a format from a fixed seed; throws fast-check's report (the smallest failing
 * input it found) when one breaks the property. An input still loading after `hangMs` counts as a failure.
 */
export async function fuzzFormat(
  format: FuzzFormat,
  options: { runs: number; seed: number; hangMs?: number },
): Promise<FuzzFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-fuzz-'));
  const figures: FuzzFigures = { format: format.name, inputs: 0, loaded: 0, rejected: 0 };
  const count = (outcome: Outcome) => {
    figures.inputs += 1;
    figures[outcome] += 1;
  };
  try {
    await fc.assert(format.property(dir, count), {
      numRuns: options.runs,
      seed: options.seed,
      timeout: options.hangMs ?? 60_000,
      includeErrorInReport: true,
    });
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
