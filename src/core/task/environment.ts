/**
 * The environment a task runs in and how it is tested: the task's own, else a per-repo spec (a user's spec
 * file over the SWE-bench harness's per-repo/version table, `swebenchSpecs.json`), over defaults for the
 * task's language.
 */

import { logParserName, type LogParserName } from '../reward/logParsers/index';
import { HARNESS_LOG_PARSER } from '../reward/multiSweBenchHarness';
import { shellQuote } from '../shellWords';
import { readJsonText } from '../textFile';
import builtInSpecs from './swebenchSpecs.json';
import sweGymSpecs from './sweGymSpecs.json';
import { rangeOrReleaseName } from './multiSweBenchSource';
import { FieldError, formatLoadError, type Task, type TaskEnvironment } from './task';

/** One entry of a spec file; every field optional so a version entry can override just one. */
export interface EnvironmentSpec {
  profile?: string;
  image?: string;
  install?: string[];
  build?: string[];
  test_command?: string;
  /** The log parser (the field keeps its first name; its values are the harness's parser names). */
  test_framework?: string;
}

/**
 * A spec file: `{ "owner/name": { ...EnvironmentSpec, "versions": { "4.2": EnvironmentSpec } } }`, where a name may
 * also be a harness's name for some of a repository's tasks (`rangeOrReleaseName`), whose spec applies over the
 * repository's.
 */
export type EnvironmentSpecs = Record<string, EnvironmentSpec & { versions?: Record<string, EnvironmentSpec> }>;

/**
 * The harness's per-repository facts, re-expressed: the log parser of each repository it knows and, per
 * version, the commands its eval scripts run (install, build, tests with the test files appended).
 */
export const SWE_BENCH_SPECS = builtInSpecs as EnvironmentSpecs;

/**
 * SWE-Gym's eleven repositories, whose rows carry no test command: the commands SWE-Gym's fork of the harness
 * (SWE-Gym/SWE-Bench-Fork, read from public copies of its constants and eval scripts) runs for each, mypy's tests
 * being the `[case …]` names its test patch adds (`{test_cases}`), read with pytest's log parser (SWE-Gym reads
 * pydantic's with a variant of pytest_v2 that Rollout Studio does not have; the `-rA` summary reads the same).
 */
const SWE_GYM_SPECS = sweGymSpecs as EnvironmentSpecs;

const LANGUAGE_DEFAULTS: Record<string, TaskEnvironment> = {
  python: {
    profile: 'python',
    install: [],
    testCommand: 'python3 -m pytest -rA -p no:cacheprovider {test_files}',
    logParser: 'pytest',
  },
  javascript: {
    profile: 'node',
    install: [],
    testCommand: 'node --test --test-reporter=tap',
    logParser: 'node-tap',
  },
  go: { profile: 'go', install: [], testCommand: 'go test -v ./...', logParser: 'gotest' },
};
LANGUAGE_DEFAULTS.typescript = LANGUAGE_DEFAULTS.javascript;

export function languageDefaults(language: string | undefined): TaskEnvironment | undefined {
  const defaults = LANGUAGE_DEFAULTS[language ?? 'python'];
  return defaults && { ...defaults, install: [...defaults.install] };
}

/** The keys of a version's entry; a repository's may hold `versions` too. */
const SPEC_KEYS: readonly (keyof EnvironmentSpec)[] = [
  'profile',
  'image',
  'install',
  'build',
  'test_command',
  'test_framework',
];

function checkSpec(path: string, spec: unknown, knownKeys: readonly string[]): void {
  const fail = (field: string, message: string): never => {
    throw new FieldError(field ? `${path}.${field}` : path, message);
  };
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) fail('', 'must be an object');
  const entry = spec as Record<string, unknown>;
  // A misspelled key would be ignored, and the spec it was to override applied without a word.
  const unknownKey = Object.keys(entry).find((key) => !knownKeys.includes(key));
  if (unknownKey !== undefined) fail(unknownKey, `unknown key (known: ${knownKeys.join(', ')})`);
  for (const field of ['profile', 'image', 'test_command'] as const) {
    if (entry[field] !== undefined && typeof entry[field] !== 'string') fail(field, 'must be a string');
  }
  for (const field of ['install', 'build'] as const) {
    const value = entry[field];
    if (value !== undefined && !(Array.isArray(value) && value.every((command) => typeof command === 'string')))
      fail(field, 'must be a list of strings');
  }
  if (entry.test_framework !== undefined) {
    try {
      logParserName(String(entry.test_framework));
    } catch (error) {
      fail('test_framework', (error as Error).message);
    }
  }
  if (entry.versions !== undefined) {
    if (typeof entry.versions !== 'object' || entry.versions === null || Array.isArray(entry.versions))
      fail('versions', 'must be an object keyed by version');
    for (const [version, versionSpec] of Object.entries(entry.versions as object))
      checkSpec(`${path}.versions.${version}`, versionSpec, SPEC_KEYS);
  }
}

export async function loadEnvironmentSpecs(file: string): Promise<EnvironmentSpecs> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readJsonText(file));
  } catch (error) {
    throw new Error(`${file}: not a readable JSON spec file (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${file}: must hold an object keyed by repository (owner/name)`);
  for (const [repo, spec] of Object.entries(parsed)) {
    try {
      checkSpec(repo, spec, [...SPEC_KEYS, 'versions']);
    } catch (error) {
      if (error instanceof FieldError)
        throw new Error(formatLoadError({ file, field: error.field, message: error.message }));
      throw error;
    }
  }
  return parsed as EnvironmentSpecs;
}

/** The environment with `spec`'s fields over `base`'s; an image replaces a profile and the other way round. */
function applySpec(base: Partial<TaskEnvironment>, spec: EnvironmentSpec | undefined): Partial<TaskEnvironment> {
  if (!spec) return base;
  return {
    profile: spec.image ? undefined : (spec.profile ?? base.profile),
    image: spec.image ?? (spec.profile ? undefined : base.image),
    install: spec.install ?? base.install,
    build: spec.build ?? base.build,
    testCommand: spec.test_command ?? base.testCommand,
    logParser: spec.test_framework ? logParserName(spec.test_framework) : base.logParser,
  };
}

/** The language defaults with the harness's table, the user's specs and the task's own parser over them. */
function mergedEnvironment(task: Task, specs: EnvironmentSpecs): Partial<TaskEnvironment> {
  const name = task.repo.name;
  const harnessName = rangeOrReleaseName(task);
  // An image with its own test command (another benchmark's) is tested by it, not by the language defaults of our
  // profile images nor by the SWE-bench harness's commands for its own images of the same repository.
  const ownCommand = task.instance?.testCommand;
  let environment: Partial<TaskEnvironment> = ownCommand
    ? { install: [], testCommand: ownCommand }
    : (languageDefaults(task.language) ?? { install: [] });
  for (const table of ownCommand ? [specs] : [SWE_BENCH_SPECS, SWE_GYM_SPECS, specs]) {
    const repoSpec = name ? table[name] : undefined;
    const versionSpec = task.version ? repoSpec?.versions?.[task.version] : undefined;
    const harnessSpec = harnessName ? table[harnessName] : undefined;
    environment = applySpec(applySpec(applySpec(environment, repoSpec), versionSpec), harnessSpec);
  }
  if (task.logParser) environment.logParser = task.logParser;
  // A Multi-SWE-bench row that nothing here reads as its harness does is read by the harness, where installed.
  else if (!environment.logParser && task.harnessPullRequest) environment.logParser = HARNESS_LOG_PARSER;
  return environment;
}

/** What a spec for `task` is keyed by, where its repository's name is not the only key (a harness's name first). */
function specNames(task: Task): string {
  const harnessName = rangeOrReleaseName(task);
  return harnessName ? [harnessName, task.repo.name].filter(Boolean).join(' or ') : 'it';
}

/** The environment to grade `task` in; throws when nothing says how to test it. */
export function environmentFor(task: Task, specs: EnvironmentSpecs = {}): TaskEnvironment {
  if (task.environment) return task.environment;
  const environment = mergedEnvironment(task, specs);
  const { testCommand, logParser } = environment;
  // A benchmark instance brings its own image; a profile is needed only to run it in one of ours.
  const needsImage = !(environment.profile || environment.image || task.instance);
  if (!testCommand || !logParser || needsImage) {
    const missing = [
      needsImage && 'profile (or image)',
      !testCommand && 'test_command',
      !logParser && 'test_framework',
    ];
    throw new Error(
      `task ${task.id}: no ${testCommand && !needsImage ? 'log parser' : 'environment'} for ${task.repo.name ?? 'its repository'} (language '${task.language}'); pass --specs FILE with a spec for ${specNames(task)} that gives ${missing.filter(Boolean).join(', ')}`,
    );
  }
  return { ...environment, install: environment.install ?? [], testCommand, logParser };
}

/** The log parser that reads `task`'s test output; unlike environmentFor, it needs no image. */
export function logParserFor(task: Task, specs: EnvironmentSpecs = {}): LogParserName {
  const logParser = task.environment?.logParser ?? mergedEnvironment(task, specs).logParser;
  if (!logParser)
    throw new Error(
      `task ${task.id}: no log parser for ${task.repo.name ?? `language '${task.language}'`}; give the task a log_parser or pass --specs FILE with a spec for ${specNames(task)} that gives test_framework`,
    );
  return logParser;
}

/** File names the harness never passes to a test command: data and documents a test patch may add. */
const NON_TEST_SUFFIXES = ['.json', '.png', 'csv', '.txt', '.md', '.jpg', '.jpeg', '.pkl', '.yml', '.yaml', '.toml'];

/** The files a git diff touches (the `b/` side), in diff order, new files included. */
export function filesInPatch(patch: string): string[] {
  const files: string[] = [];
  for (const match of patch.matchAll(/^diff --git a\/.* b\/(.*)$/gm))
    if (!files.includes(match[1])) files.push(match[1]);
  return files;
}

/** The files a test patch touches that are tests, in patch order: the harness's test directives. */
export function testFilesOf(testPatch: string): string[] {
  return filesInPatch(testPatch).filter((file) => !NON_TEST_SUFFIXES.some((suffix) => file.endsWith(suffix)));
}

/** The test files a test patch leaves in the tree (those it deletes left out): SWE-rebench's harness's directives. */
export function keptTestFilesOf(testPatch: string): string[] {
  const deleted = [...testPatch.matchAll(/^--- a\/(.*)\n\+\+\+ \/dev\/null$/gm)].map((match) => match[1]);
  return testFilesOf(testPatch).filter((file) => !deleted.includes(file));
}

/** Test files as Django's runner names them: `tests/` and `.py` dropped, slashes as dots. */
export function testModulesOf(testPatch: string): string[] {
  return testFilesOf(testPatch).map((file) =>
    file
      .replace(/\.py$/, '')
      .replace(/^tests\//, '')
      .replaceAll('/', '.'),
  );
}

/** The `[case NAME]` test cases a test patch's data files hold, as a pytest `-k` expression (`A or B`). */
export function testCasesOf(testPatch: string): string {
  return [...testPatch.matchAll(/\[case ([^\]]+)\]/g)].map((match) => match[1]).join(' or ');
}

/**
 * The test command with `{test_files}` (`{kept_test_files}`: but those the patch deletes) and `{test_modules}` filled
 * in from the test patch, and `{test_cases}` by the test cases it holds (mypy's).
 */
export function testCommandFor(environment: TaskEnvironment, task: Pick<Task, 'testPatch'>): string {
  const words = (list: string[]) => list.map(shellQuote).join(' ');
  return environment.testCommand
    .replaceAll('{test_files}', words(testFilesOf(task.testPatch)))
    .replaceAll('{kept_test_files}', words(keptTestFilesOf(task.testPatch)))
    .replaceAll('{test_modules}', words(testModulesOf(task.testPatch)))
    .replaceAll('{test_cases}', shellQuote(testCasesOf(task.testPatch)))
    .trim();
}
