/**
 * SWE-bench task instances with the official field names: SWE-bench, Lite, Verified, Multilingual, and the
 * datasets that share the format (SWE-Gym, SWE-rebench, …). Each is a benchmark instance that runs in its own
 * image at `/testbed`; a row that names its image (`image_name`, `docker_image`) runs in that one. A SWE-rebench row
 * brings its own environment spec (`install_config`), which its harness (SWE-rebench/SWE-bench-fork) tests it by;
 * a SWE-rebench-V2 row is read as that benchmark's (sweRebenchV2Source.ts).
 */

import { EVAL_TYPES, type EvalType } from '../reward/harnessRules';
import { logParserName, type LogParserName } from '../reward/logParsers/index';
import { SWE_BENCH_ACTIVATION, TESTBED } from './instanceImages';
import harnessLanguages from './swebenchLanguages.json';
import { loadRows, optionalString, requiredString, stringListField, type Row } from './rows';
import { installConfig, isSweRebenchV2Row, sweRebenchV2RowToTask } from './sweRebenchV2Source';
import { FieldError, type Task, type TaskEnvironment, type TaskLoadResult, type TaskSource } from './task';

const REPO_NAME = /^[\w.-]+\/[\w.-]+$/;

/**
 * The language of each repository the SWE-bench harness knows (SWE-bench Multilingual's among them), by the
 * per-language module of the harness (SWE-bench/SWE-bench @ 7a21e05, `log_parsers/<language>.py`) that maps it
 * to its parser; C and C++ are one group there. The released rows carry no language field.
 */
const HARNESS_LANGUAGES: Record<string, string> = harnessLanguages;

/**
 * SWE-Gym's eleven repositories (those of the 2,119 instances OpenHands lists as SWE-Gym's verified ones,
 * All-Hands-AI/OpenHands @ 156d068, `evaluation/benchmarks/swe_bench/split/`); none is a SWE-bench repository.
 * SWE-Gym's rows are in SWE-bench's format and name no image: the repository tells them apart, and their images
 * are SWE-Gym's own (instanceImages.ts).
 */
const SWE_GYM_REPOS = new Set([
  'getmoto/moto',
  'Project-MONAI/MONAI',
  'pandas-dev/pandas',
  'python/mypy',
  'dask/dask',
  'iterative/dvc',
  'conan-io/conan',
  'pydantic/pydantic',
  'modin-project/modin',
  'facebookresearch/hydra',
  'bokeh/bokeh',
]);

/** SWE-bench 5 datasets name each instance's log parser (`parse_log_pytest`); older ones leave it to the repository. */
function rowLogParser(row: Row): LogParserName | undefined {
  const value = optionalString(row, 'log_parser');
  if (value === undefined || value === '') return undefined;
  try {
    return logParserName(value);
  } catch (error) {
    throw new FieldError('log_parser', (error as Error).message);
  }
}

function rowEvalType(row: Row): EvalType | undefined {
  const value = optionalString(row, 'eval_type');
  if (value === undefined || value === '') return undefined;
  if (!(EVAL_TYPES as readonly string[]).includes(value))
    throw new FieldError('eval_type', `'${value}' is not one of ${EVAL_TYPES.join(', ')}`);
  return value as EvalType;
}

/** What SWE-rebench's harness puts before its specs' install and test commands (`_clean_install_config`). */
const SWE_REBENCH_LOCALE = 'LANG=C.UTF-8 LC_ALL=C.UTF-8 ';

/**
 * A SWE-rebench row's environment, from its `install_config` (an object, or its JSON text) as SWE-rebench's harness
 * (SWE-rebench/SWE-bench-fork @ 39316f7) writes the evaluation script of it: its `eval_commands`, then its `install`,
 * before the test files are reset; its `test_cmd` followed by the test files the test patch does not delete; both
 * commands behind a UTF-8 locale. Its `log_parser` (`parse_log_pytest`, `…_options`, `…_v2`) reads the log. Undefined
 * for a row without one.
 */
function installConfigEnvironment(row: Row): TaskEnvironment | undefined {
  const config = installConfig(row);
  if (!config) return undefined;
  const field = (name: string) => `install_config.${name}`;
  const { test_cmd: testCmd, install, eval_commands: evalCommands, log_parser: parser } = config;
  if (typeof testCmd !== 'string' || !testCmd.trim()) throw new FieldError(field('test_cmd'), 'must be a command');
  if (install !== undefined && install !== null && typeof install !== 'string')
    throw new FieldError(field('install'), 'must be a command');
  const before = evalCommands ?? [];
  if (!Array.isArray(before) || before.some((command) => typeof command !== 'string'))
    throw new FieldError(field('eval_commands'), 'must be a list of commands');
  if (typeof parser !== 'string' || !parser)
    throw new FieldError(field('log_parser'), "must name the parser SWE-rebench's harness reads the log with");
  let logParser: LogParserName;
  try {
    logParser = logParserName(parser);
  } catch (error) {
    throw new FieldError(field('log_parser'), (error as Error).message);
  }
  return {
    install: [...(before as string[]), ...(install ? [SWE_REBENCH_LOCALE + install] : [])],
    testCommand: `${SWE_REBENCH_LOCALE}${testCmd} {kept_test_files}`,
    logParser,
  };
}

export function sweBenchRowToTask(row: Row): Task {
  if (isSweRebenchV2Row(row)) return sweRebenchV2RowToTask(row);
  const id = requiredString(row, 'instance_id');
  const repoName = requiredString(row, 'repo');
  if (!REPO_NAME.test(repoName)) throw new FieldError('repo', `'${repoName}' is not of the form owner/name`);
  const commit = requiredString(row, 'base_commit');
  if (!/^[0-9a-f]{7,40}$/i.test(commit)) throw new FieldError('base_commit', `'${commit}' is not a commit hash`);
  const ownEnvironment = installConfigEnvironment(row);
  return {
    id,
    kind: 'swe-bench',
    dataset: ownEnvironment ? 'swe-rebench' : SWE_GYM_REPOS.has(repoName) ? 'swe-gym' : 'swe-bench',
    repo: { name: repoName, location: `https://github.com/${repoName}.git`, commit },
    problemStatement: requiredString(row, 'problem_statement'),
    hints: optionalString(row, 'hints_text') ?? '',
    language: optionalString(row, 'language')?.toLowerCase() ?? HARNESS_LANGUAGES[repoName] ?? 'python',
    version: optionalString(row, 'version'),
    testPatch: optionalString(row, 'test_patch') ?? '',
    goldPatch: optionalString(row, 'patch') ?? '',
    failToPass: stringListField(row, 'FAIL_TO_PASS', { required: true }),
    passToPass: stringListField(row, 'PASS_TO_PASS', { required: true }),
    logParser: rowLogParser(row),
    evalType: rowEvalType(row),
    ...(ownEnvironment ? { environment: ownEnvironment, harness: 'swe-rebench' as const } : {}),
    instance: {
      image: optionalString(row, 'image_name') ?? optionalString(row, 'docker_image'),
      workdir: TESTBED,
      activate: SWE_BENCH_ACTIVATION,
    },
  };
}

export class SweBenchSource implements TaskSource {
  readonly format = 'swe-bench';

  load(path: string): Promise<TaskLoadResult> {
    return loadRows(path, sweBenchRowToTask);
  }
}
