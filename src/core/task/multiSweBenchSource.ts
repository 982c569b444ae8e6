/**
 * Multi-SWE-bench task instances as released (one row per pull request: `org`, `repo`, `number`, `base`,
 * `resolved_issues`, `fix_patch`, `test_patch`, the per-test transitions). Each runs in the benchmark's image
 * `mswebench/<org>_m_<repo>:pr-<number>` (`envagent/…` for a row naming a pull-request range or a release tag,
 * whose parsers the harness registers under those names). Most hold the repository at `/home/<repo>` checked out
 * at the base and the benchmark's scripts beside it: `/home/run.sh` builds and runs the tests on the tree as it is
 * (the harness's other scripts apply its patches first), so it is the test command once the grader has applied the
 * patch and the test patch. The Python repositories the benchmark takes from SWE-bench are the exception: their
 * images are built on SWE-bench's, with the repository at `/testbed` and its conda env `testbed`, and their rows
 * carry the test command in `base.ref`, which the harness runs there. How its output reads is per repository, in
 * the benchmark's code, not in its rows: the harness registers a parser per repository (or per range of its pull
 * requests, or per release tag, where the row names one; for a few repositories one parser that reads by the row's
 * pull-request number), and `multiSweBenchHarness.json` says which of ours reads as that one does, by number range
 * where the harness's does, and which repositories run on SWE-bench's images. A row it does not list (another
 * repository's, or a range's or a release's) is read by the harness itself, where installed, unless a spec
 * (`--specs`) names a log parser: the task carries the pull request the harness picks its parser by.
 */

import type { LogParserName } from '../reward/logParsers/index';
import harness from './multiSweBenchHarness.json';
import { CONDA_TESTBED_ACTIVATION, TESTBED } from './instanceImages';
import { listField, loadRows, optionalString, parseEncodedValue, requiredString, type Row } from './rows';
import {
  FieldError,
  type HarnessPullRequest,
  type Task,
  type TaskInstance,
  type TaskLoadResult,
  type TaskSource,
} from './task';

const LANGUAGES: Record<string, string> = { js: 'javascript', ts: 'typescript', 'c++': 'c++', cpp: 'c++' };

function base(row: Row): { sha: string; ref?: unknown } {
  const value = typeof row.base === 'string' ? parseEncodedValue('base', row.base) : row.base;
  const { sha, ref } = (value ?? {}) as { sha?: unknown; ref?: unknown };
  if (typeof sha !== 'string' || !/^[0-9a-f]{7,40}$/i.test(sha)) throw new FieldError('base', 'has no commit sha');
  return { sha, ref };
}

/**
 * A repository whose harness parser picks its reading by pull-request number: the first range holding the row's
 * number names ours (`from` and `to` inclusive, either left out for no bound).
 */
type NumberRange = { from?: number; to?: number; parser: string };

const PARSERS_BY_HARNESS_NAME = new Map<string, string | NumberRange[]>(
  Object.entries(harness.parsers).map(([name, parser]) => [name.toLowerCase(), parser]),
);

type HarnessNameFields = Pick<HarnessPullRequest, 'org' | 'repo' | 'number_interval' | 'tag'>;

/**
 * The name the harness registers a pull request's parser under: `org/number_interval` where its row names a range
 * of pull requests, `org/repo_tag` (dots as underscores) where it names a release tag, else `org/repo`.
 */
export function multiSweBenchHarnessName({ org, repo, number_interval, tag }: HarnessNameFields): string {
  if (number_interval) return `${org}/${number_interval}`;
  return tag ? `${org}/${repo}_${tag.replaceAll('.', '_')}` : `${org}/${repo}`;
}

function harnessNameFields(row: Row): HarnessNameFields {
  return {
    org: requiredString(row, 'org'),
    repo: requiredString(row, 'repo'),
    number_interval: optionalString(row, 'number_interval') ?? '',
    tag: optionalString(row, 'tag') ?? '',
  };
}

/**
 * The harness's name for the task's parser where it registers one for its row's pull-request range or release, not
 * for its repository (Multi-SWE-RL's rows): a spec under this name applies over the repository's.
 */
export function rangeOrReleaseName(task: Task): string | undefined {
  const pullRequest = task.harnessPullRequest;
  return pullRequest && namesRangeOrRelease(pullRequest) ? multiSweBenchHarnessName(pullRequest) : undefined;
}

/** Whether the harness registers the pull request's parser for its range or release, not for its repository. */
function namesRangeOrRelease({ number_interval, tag }: HarnessNameFields): boolean {
  return Boolean(number_interval || tag);
}

/** The row's pull-request number: an integer in the released files, a string of digits in some tools' copies. */
function pullRequestNumber(row: Row): number {
  const number = typeof row.number === 'string' && /^\d+$/.test(row.number) ? Number(row.number) : row.number;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw new FieldError('number', 'must be an integer');
  return number;
}

/** Our parser that reads the row's test logs as the harness's parser for it does, if there is one. */
export function multiSweBenchLogParser(row: Row): LogParserName | undefined {
  const entry = PARSERS_BY_HARNESS_NAME.get(multiSweBenchHarnessName(harnessNameFields(row)).toLowerCase());
  if (typeof entry !== 'object') return entry as LogParserName | undefined;
  const number = pullRequestNumber(row);
  const range = entry.find(({ from = -Infinity, to = Infinity }) => from <= number && number <= to);
  return range?.parser as LogParserName | undefined;
}

/** The test names of a transition map (`f2p_tests`: name → statuses), given as an object or its JSON text. */
function testNames(row: Row, field: string): string[] {
  const value = row[field];
  if (value === undefined || value === null) return [];
  const parsed = typeof value === 'string' ? parseEncodedValue(field, value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new FieldError(field, 'must map test names to their statuses');
  return Object.keys(parsed);
}

/** The issues the pull request resolves, as its agent sees them; the pull request's own text when it names none. */
function problemStatement(row: Row): string {
  const issues = listField(row, 'resolved_issues', { required: false }).map((issue, index) => {
    const { title, body } = (issue ?? {}) as { title?: unknown; body?: unknown };
    if (typeof title !== 'string') throw new FieldError('resolved_issues', `element ${index} has no title`);
    return `${title}\n${typeof body === 'string' ? body : ''}`.trim();
  });
  if (issues.length > 0) return issues.join('\n\n');
  return `${requiredString(row, 'title')}\n${optionalString(row, 'body') ?? ''}`.trim();
}

const ON_SWE_BENCH_IMAGES = new Set(harness.repositoriesOnSweBenchImages.map((name) => name.toLowerCase()));

/**
 * Where the row's repository is in its image and how its tests run: the image's `/home/run.sh` in `/home/<repo>`,
 * or, for a repository whose image is built on SWE-bench's, the row's `base.ref` in `/testbed` with its conda env.
 */
function instanceOf(pullRequest: HarnessPullRequest, baseRef: unknown): TaskInstance {
  const { org, repo, number } = pullRequest;
  // The harness builds the images of the classes it registers for a range of pull requests or a release tag
  // (Multi-SWE-RL's) under another namespace than its per-repository ones.
  const perRepository = !namesRangeOrRelease(pullRequest);
  const image = `${perRepository ? 'mswebench' : 'envagent'}/${org}_m_${repo}:pr-${number}`.toLowerCase();
  if (!perRepository || !ON_SWE_BENCH_IMAGES.has(`${org}/${repo}`.toLowerCase()))
    return { image, workdir: `/home/${repo}`, testCommand: 'bash /home/run.sh' };
  const command = typeof baseRef === 'string' ? baseRef.trim() : '';
  // Git refuses whitespace in a ref's name, so a ref without any is a branch, not a command.
  if (!/\s/.test(command))
    throw new FieldError(
      'base',
      `its ref must be the test command rows of ${org}/${repo} carry, not ${JSON.stringify(baseRef)}`,
    );
  return { image, workdir: TESTBED, activate: CONDA_TESTBED_ACTIVATION, testCommand: command };
}

export function multiSweBenchRowToTask(row: Row): Task {
  const pullRequest = { ...harnessNameFields(row), number: pullRequestNumber(row) };
  const { org, repo, number } = pullRequest;
  const { sha, ref } = base(row);
  const language = optionalString(row, 'lang') ?? optionalString(row, 'language');
  return {
    id: optionalString(row, 'instance_id') ?? `${org}__${repo}-${number}`,
    kind: 'swe-bench',
    dataset: 'multi-swe-bench',
    repo: { name: `${org}/${repo}`, location: `https://github.com/${org}/${repo}.git`, commit: sha },
    problemStatement: problemStatement(row),
    hints: '',
    language: language ? (LANGUAGES[language.toLowerCase()] ?? language.toLowerCase()) : undefined,
    harnessPullRequest: pullRequest,
    logParser: multiSweBenchLogParser(row),
    testPatch: requiredString(row, 'test_patch'),
    goldPatch: requiredString(row, 'fix_patch'),
    // Tests that must pass after the fix: those that failed, were skipped or did not exist before it.
    failToPass: ['f2p_tests', 's2p_tests', 'n2p_tests'].flatMap((field) => testNames(row, field)),
    passToPass: testNames(row, 'p2p_tests'),
    instance: instanceOf(pullRequest, ref),
  };
}

export class MultiSweBenchSource implements TaskSource {
  readonly format = 'multi-swe-bench';

  load(path: string): Promise<TaskLoadResult> {
    return loadRows(path, multiSweBenchRowToTask);
  }
}
