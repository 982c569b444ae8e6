/** The one task model every source loads into, and the interface each task source implements. */

import type { EvalType } from '../reward/harnessRules';
import type { LogParserName } from '../reward/logParsers/index';
import type { HiddenHistory, RepoSource } from '../sandbox/sandbox';

export type TaskKind = 'swe-bench' | 'cab' | 'folder';

/** Where the task's repository comes from; `name` is the `owner/name` of a hosted repository when known. */
export interface TaskRepo extends RepoSource {
  name?: string;
}

/** How to build and test the repository inside a sandbox. */
export interface TaskEnvironment {
  /** Image profile (`python`, `node`, `go`) resolved to a built image; ignored when `image` is set. */
  profile?: string;
  /** An image the user already has, used as it is. */
  image?: string;
  /**
   * Shell commands run in the repository root before the test files are reset (e.g. `pip install -e .`),
   * in the same shell as the tests, so `export` and `source` carry over.
   */
  install: string[];
  /** Shell commands run after the test patch is applied and before the tests (e.g. `make build`). */
  build?: string[];
  /**
   * Shell command(s), one a line, that run the tests; `{test_files}` is replaced by the test files the test
   * patch touches and `{test_modules}` by the same as Django module labels.
   */
  testCommand: string;
  /** The log parser that reads the test command's output (the harness's name for it). */
  logParser: LogParserName;
}

/** CodeAssistBench fields: a resolved GitHub issue judged by conditions rather than tests. */
export interface CabDetails {
  title: string;
  url: string;
  comments: { user: string; body: string; createdAt?: string }[];
  satisfactionConditions: string[];
  labels: string[];
  /** Dockerfile text that builds the task's environment, when the dataset has one. */
  dockerfile?: string;
  /** The dataset's category of the task (`_classification.category`), when it has one. */
  category?: string;
}

/**
 * A benchmark instance that comes with an image holding its repository and environment (SWE-bench's
 * `/testbed` with the conda env `testbed`, SWE-Gym's, SWE-smith's, R2E-Gym's, Multi-SWE-bench's).
 */
export interface TaskInstance {
  /** The image the dataset names for this task; absent when the run's image template names it (SWE-bench rows). */
  image?: string;
  /** Where the repository is inside the image. */
  workdir: string;
  /** Shell lines that activate the image's environment for every command. */
  activate?: string;
  /** A script run as root in `workdir` when a sandbox starts, before its base commit is taken. */
  setup?: string;
  /** Standard input of `setup` (e.g. the bug patch SWE-smith applies to the image's clean repository). */
  setupInput?: string;
  /** The image's own test command (Multi-SWE-bench's `/home/run.sh`), used unless a spec gives another. */
  testCommand?: string;
  /**
   * What of the repository's history the agent must not see, where not only what lies past the base (`later`):
   * `all` where the base's own parent holds the answer (SWE-smith's bug commit on top of the clean code).
   */
  hiddenHistory?: HiddenHistory;
}

/** The fields Multi-SWE-bench's harness picks a pull request's log parser by, named as its rows name them. */
export interface HarnessPullRequest {
  org: string;
  repo: string;
  number: number;
  number_interval: string;
  tag: string;
}

export interface Task {
  id: string;
  kind: TaskKind;
  repo: TaskRepo;
  problemStatement: string;
  hints: string;
  /** Language of the repository in lower case (`python`, `javascript`, `go`, `c++`, …). */
  language?: string;
  /** SWE-bench `version`, used to pick a per-repo environment spec. */
  version?: string;
  /**
   * A Multi-SWE-bench row's pull request, as its harness picks the row's own log parser by (and names it: a spec
   * under that name applies over the repository's, `rangeOrReleaseName`).
   */
  harnessPullRequest?: HarnessPullRequest;
  /** A SWE-rebench-V2 row's parser, by the name its harness's `NAME_TO_PARSER` gives it (`install_config.log_parser`). */
  sweRebenchV2Parser?: string;
  environment?: TaskEnvironment;
  /** The log parser the task's dataset names (SWE-bench 5 datasets' `log_parser`), over its repository's. */
  logParser?: LogParserName;
  /** How the task is graded, when its dataset says (SWE-bench 5 datasets' `eval_type`). */
  evalType?: EvalType;
  /**
   * The harness that grades the task's dataset where it is not SWE-bench's own: SWE-rebench's fork of 4.x, whose
   * rules grade the task unless the run names a release; SWE-bench Pro's and SWE-rebench-V2's, whose rules always do.
   */
  harness?: 'swe-rebench' | 'swe-bench-pro' | 'swe-rebench-v2';
  /** Set for benchmark rows that run in per-instance images. */
  instance?: TaskInstance;
  /** The dataset family the row was read as (`swe-bench`, `swe-smith`, `r2e-gym`, `multi-swe-bench`, …). */
  dataset?: string;
  /** Tests that check the fix, as a git diff; empty when the task has none. */
  testPatch: string;
  /** The reference fix, as a git diff; empty when the task has none. */
  goldPatch: string;
  failToPass: string[];
  passToPass: string[];
  cab?: CabDetails;
}

/** One row or file that did not load, named precisely enough to find and fix it. */
export interface TaskLoadError {
  file: string;
  /** 1-based line of the row in a JSONL file (or of the element start in a JSON array); absent for whole-file errors. */
  line?: number;
  /** 1-based row of a Parquet file, which has no lines. */
  row?: number;
  /** The offending field, absent when the whole row is unreadable. */
  field?: string;
  message: string;
}

export interface TaskLoadResult {
  tasks: Task[];
  errors: TaskLoadError[];
}

/** A format of task files: reads one file or folder, keeping the good rows and naming the bad ones. */
export interface TaskSource {
  readonly format: string;
  load(path: string): Promise<TaskLoadResult>;
}

export function formatLoadError(error: TaskLoadError): string {
  const place =
    error.line !== undefined ? `line ${error.line}` : error.row !== undefined ? `row ${error.row}` : undefined;
  const where = [error.file, place].filter(Boolean).join(':');
  return `${where}${error.field ? ` field '${error.field}'` : ''}: ${error.message}`;
}

/** Thrown by field readers; the loader turns it into a TaskLoadError for the row. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'FieldError';
  }
}

export function hasTests(task: Task): boolean {
  return task.failToPass.length + task.passToPass.length > 0;
}

/**
 * Whether the task's tests can grade a patch: with no FAIL_TO_PASS test, every patch that keeps the others passing
 * would count as resolved (the harness's rule), so such a task is refused rather than scored.
 */
export function testsCanGrade(task: Task): boolean {
  return task.failToPass.length > 0;
}

/** Why a task that testsCanGrade refuses is refused, in the words of every message that refuses one. */
export const NO_FAIL_TO_PASS =
  'no FAIL_TO_PASS test, so every patch that keeps the other tests passing would count as resolved';
