import { relative } from 'node:path';
import { harnessPython } from '../../core/reward/harnessProcess';
import { installedV2Harness, SWE_REBENCH_V2_LOG_PARSER, V2_INSTALL } from '../../core/reward/sweRebenchV2Harness';
import { HARNESS_LOG_PARSER, harnessName, INSTALL, installedHarness } from '../../core/reward/multiSweBenchHarness';
import { Engine } from '../../core/sandbox/engine';
import { loadEnvironmentSpecs, logParserFor, type EnvironmentSpecs } from '../../core/task/environment';
import { loadTasks } from '../../core/task/loadTasks';
import { instanceImage } from '../../core/task/instanceImages';
import { rangeOrReleaseName } from '../../core/task/multiSweBenchSource';
import { formatLoadError, hasTests, NO_FAIL_TO_PASS, testsCanGrade, type Task } from '../../core/task/task';
import type { CliCommand } from './index';
import { parseCommandLine } from '../grammar';
import { SANDBOX_FLAGS, SANDBOX_USAGE, sandboxSettings } from './sandboxFlags';

const USAGE = `usage: rollout tasks FILE_OR_DIR [--json] [--specs FILE] [--image-template T] [--namespace NS]
                   [--docker-host ADDR]

Loads a task file (SWE-bench, Lite, Verified, Multilingual, SWE-Gym, SWE-rebench, SWE-rebench-V2, SWE-smith,
R2E-Gym, Multi-SWE-bench, SWE-bench Pro or CodeAssistBench; JSON, JSONL or Parquet) or a task folder (or a folder
of them) and lists its tasks with the log parser that grades each (none: a run refuses the task until a spec names
one; mswebench_harness: the Multi-SWE-bench harness's own, where it is installed; swe_rebench_v2_harness:
SWE-rebench-V2's own, from the checkout ROLLOUT_SWE_REBENCH_V2 names), the image each runs in and whether the
engine has it, then the counts per dataset. Bad rows are reported by file, line (or Parquet row) and field; the
exit code is 0 only if every row loaded.

options:
  --specs FILE         per-repo environment specs (JSON), as rollout run takes them
${SANDBOX_USAGE}`;

interface Listed {
  task: Task;
  /** The parser that grades the task's test logs; null for a task with tests that nothing here can grade. */
  logParser: string | null | undefined;
  image?: string;
  /** Whether the engine holds the image; undefined when the engine could not be asked. */
  present?: boolean;
}

function repository(task: Task): string {
  return task.repo.name
    ? `${task.repo.name}${task.repo.commit ? `@${task.repo.commit.slice(0, 8)}` : ''}`
    : relative(process.cwd(), task.repo.location) || '.';
}

/** The parser that reads `task`'s test logs: undefined when it has no tests, null when none is known for it. */
function gradingParser(task: Task, specs: EnvironmentSpecs): string | null | undefined {
  if (!hasTests(task)) return undefined;
  try {
    return logParserFor(task, specs);
  } catch {
    return null;
  }
}

function imageState(listed: Listed): string {
  if (!listed.image) return '-';
  return listed.present === undefined ? '?' : listed.present ? 'present' : 'missing';
}

function table(listed: Listed[]): string {
  const rows = [
    ['ID', 'DATASET', 'REPOSITORY', 'LANGUAGE', 'TESTS', 'LOG PARSER', 'IMAGE'],
    ...listed.map((entry) => [
      entry.task.id,
      entry.task.dataset ?? entry.task.kind,
      repository(entry.task),
      entry.task.language ?? '-',
      hasTests(entry.task) ? 'yes' : 'no',
      entry.logParser === undefined ? '-' : (entry.logParser ?? 'none'),
      imageState(entry),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  '),
    )
    .join('\n');
}

const NAMED_IN_NOTE = 10;

/** What a run does with tasks no parser grades, naming the most precise names a spec for them may be keyed by. */
function unparsedNote(listed: Listed[]): string | undefined {
  const unparsed = listed.filter((entry) => entry.logParser === null);
  if (unparsed.length === 0) return undefined;
  const names = [...new Set(unparsed.map(({ task }) => rangeOrReleaseName(task) ?? task.repo.name ?? task.id))].sort();
  const fix = "pass --specs FILE with a test_framework under these names or their repositories' (docs/instances.md)";
  return `${unparsed.length} task(s) have tests but no log parser here (${namedFew(names)}): a run refuses them; ${fix}`;
}

/** What a run does with tasks whose tests cannot grade a patch (testsCanGrade): it refuses them. */
function ungradableNote(listed: Listed[]): string | undefined {
  const ungradable = listed.filter(({ task }) => hasTests(task) && !testsCanGrade(task)).map(({ task }) => task.id);
  if (ungradable.length === 0) return undefined;
  return `${ungradable.length} task(s) (${namedFew(ungradable)}): ${NO_FAIL_TO_PASS}; a run refuses them`;
}

/** A community dataset can name hundreds; the first few say enough (--json lists every task's parser). */
function namedFew(names: string[]): string {
  const more = names.length > NAMED_IN_NOTE ? ` and ${names.length - NAMED_IN_NOTE} more` : '';
  return `${names.slice(0, NAMED_IN_NOTE).join(', ')}${more}`;
}

/** Whether the harness runs the parsers of the tasks read by Multi-SWE-bench's own, and what a run does if not. */
async function harnessNote(listed: Listed[]): Promise<string | undefined> {
  const read = listed.filter((entry) => entry.logParser === HARNESS_LOG_PARSER);
  if (read.length === 0) return undefined;
  const names = [...new Set(read.map(({ task }) => harnessName(task)))].sort();
  const head = `${read.length} task(s) are read by Multi-SWE-bench's own parsers, in its harness in ${harnessPython()}`;
  const specs = "pass --specs FILE with a test_framework under their names or their repositories' (docs/instances.md)";
  let registered: Set<string>;
  try {
    ({ names: registered } = await installedHarness());
  } catch (error) {
    return `${head}, which is not usable (${(error as Error).message}): a run refuses them; ${INSTALL}, or ${specs}`;
  }
  const missing = names.filter((name) => !registered.has(name));
  if (missing.length === 0) return `${head}: it has a parser for each of their ${names.length} name(s)`;
  return `${head}: it registers no parser for ${namedFew(missing)}: a run refuses those; ${specs}`;
}

/** Whether the user's SWE-rebench-V2 checkout has the parsers its rows name, and what a run does if not. */
async function v2HarnessNote(listed: Listed[]): Promise<string | undefined> {
  const read = listed.filter((entry) => entry.logParser === SWE_REBENCH_V2_LOG_PARSER);
  if (read.length === 0) return undefined;
  const names = [...new Set(read.map(({ task }) => task.sweRebenchV2Parser ?? ''))].sort();
  const head = `${read.length} task(s) are read by SWE-rebench-V2's own parsers`;
  let available: Set<string>;
  try {
    ({ names: available } = await installedV2Harness());
  } catch (error) {
    return `${head}, which cannot be read (${(error as Error).message}): a run refuses them; ${V2_INSTALL}`;
  }
  const missing = names.filter((name) => !available.has(name));
  if (missing.length === 0) return `${head}: the checkout has each of their ${names.length} parser(s)`;
  return `${head}: the checkout has no parser ${namedFew(missing)}: a run refuses those; update it`;
}

/** Per dataset: how many tasks, how many of those with tests have a log parser, how many images the engine holds. */
function counts(listed: Listed[]): string[] {
  const byDataset = new Map<string, Listed[]>();
  for (const entry of listed) {
    const dataset = entry.task.dataset ?? entry.task.kind;
    byDataset.set(dataset, [...(byDataset.get(dataset) ?? []), entry]);
  }
  return [...byDataset].map(([dataset, entries]) => {
    const images = new Set(entries.flatMap((entry) => (entry.image ? [entry.image] : [])));
    const present = new Set(entries.flatMap((entry) => (entry.present ? [entry.image] : [])));
    const known = entries.every((entry) => !entry.image || entry.present !== undefined);
    const imageNote = images.size === 0 ? '' : `, images present ${known ? present.size : '?'}/${images.size}`;
    const tested = entries.filter((entry) => entry.logParser !== undefined);
    const parsed = tested.filter((entry) => entry.logParser !== null);
    const parserNote = tested.length === 0 ? '' : `, log parser for ${parsed.length}/${tested.length}`;
    return `${dataset}: ${entries.length} task(s)${parserNote}${imageNote}`;
  });
}

export const tasksCommand: CliCommand = {
  summary: 'load a task file or folder (SWE-bench family, CodeAssistBench, task folders) and list its tasks',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'tasks',
        usage: USAGE,
        positionals: true,
        options: { json: { type: 'boolean' }, specs: { type: 'string' }, ...SANDBOX_FLAGS },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) {
      console.error(USAGE);
      return 2;
    }
    let specs: EnvironmentSpecs = {};
    try {
      if (values.specs) specs = await loadEnvironmentSpecs(values.specs);
    } catch (error) {
      console.error(`rollout tasks: --specs ${(error as Error).message}`);
      return 2;
    }
    const { tasks, errors } = await loadTasks(positionals[0]);
    const { instanceImages, dockerHost } = sandboxSettings(values);
    // Only instance images are listed: the profile images are the same few for every task (`rollout images`).
    const listed: Listed[] = tasks.map((task) => ({
      task,
      logParser: gradingParser(task, specs),
      image: instanceImage(task, instanceImages),
    }));
    let engineNote: string | undefined;
    if (listed.some((entry) => entry.image)) {
      try {
        const local = await Engine.at(dockerHost).localImageNames();
        for (const entry of listed) if (entry.image) entry.present = local.has(entry.image);
      } catch (error) {
        engineNote = `images not checked: ${(error as Error).message.split('\n')[0]}`;
      }
    }
    if (values.json) {
      const rows = listed.map(({ task, logParser, image, present }) => ({
        id: task.id,
        kind: task.kind,
        dataset: task.dataset ?? task.kind,
        repository: repository(task),
        language: task.language ?? null,
        has_tests: hasTests(task),
        log_parser: logParser ?? null,
        image: image ?? null,
        image_present: present ?? null,
      }));
      console.log(JSON.stringify({ tasks: rows, errors }, null, 2));
    } else {
      if (tasks.length > 0) console.log(table(listed));
      console.log(`${tasks.length} task(s) loaded${errors.length ? `, ${errors.length} row(s) did not load` : ''}`);
      for (const line of counts(listed)) console.log(line);
      const harnessNotes = [await harnessNote(listed), await v2HarnessNote(listed)];
      for (const note of [unparsedNote(listed), ungradableNote(listed), ...harnessNotes]) if (note) console.log(note);
      if (engineNote) console.log(engineNote);
      for (const error of errors) console.error(formatLoadError(error));
    }
    return errors.length === 0 ? 0 : 1;
  },
};
