/**
 * SWE-rebench-V2 rows (nebius/SWE-rebench-V2, 20 languages) as its harness (SWE-rebench/SWE-rebench-V2 @ c71902a,
 * scripts/eval.py) runs them: in the image the row names (`image_name`), in `/<repository name>`, the model's patch
 * and then the row's test patch applied under `set -e`, then the row's test commands (`install_config.test_cmd`, a
 * list, or one command), with `_JAVA_OPTIONS=-Djava.net.preferIPv6Addresses=false`; the log, the script's standard
 * output followed by its standard error, read by the parser the row names (`install_config.log_parser`), from the
 * user's checkout of that harness (`reward/sweRebenchV2Harness.ts`). The row's `install` ran when its image was
 * built, not at evaluation.
 *
 * Where this differs from the harness: the work tree is not `git reset --hard` first (a fresh container of the image
 * is already at its base), and the log holds neither that command's line nor the model patch's `git apply` lines,
 * which the evaluation applies before the test command runs.
 */

import { SWE_REBENCH_V2_LOG_MARKERS, SWE_REBENCH_V2_LOG_PARSER } from '../reward/sweRebenchV2Harness';
import { shellQuote, writeFileCommand } from '../shellWords';
import { optionalObjectField, optionalString, requiredString, stringListField, type Row } from './rows';
import { FieldError, type Task } from './task';

/** Where SWE-rebench-V2 publishes its instance images (`docker.io/swerebenchv2/<repo>:<number>-<sha7>`). */
const V2_IMAGES = /(^|\/)swerebenchv2\//;

/** Where the test command keeps the test patch, the harness's script and its two outputs inside the sandbox. */
const WORKSPACE = '/tmp/rollout-swe-rebench-v2';
const APPLY = 'git apply -v --3way --recount --ignore-space-change --whitespace=nowarn';

/**
 * Whether a SWE-bench-format row is SWE-rebench-V2's: its test commands a list, or its image one of V2's (its harness
 * takes one command as a string too).
 */
export function isSweRebenchV2Row(row: Row): boolean {
  const config = installConfig(row);
  if (Array.isArray(config?.test_cmd)) return true;
  const image = optionalString(row, 'image_name');
  return Boolean(image && V2_IMAGES.test(image));
}

/** The row's environment spec (SWE-rebench's, and V2's), read before anything tells the two apart. */
export function installConfig(row: Row): Row | undefined {
  return optionalObjectField(row, 'install_config', "the row's environment spec");
}

/** The row's test commands as the harness takes them: one command, or a list of which the blank ones are dropped. */
function testCommands(config: Row): string[] {
  const given = typeof config.test_cmd === 'string' ? [config.test_cmd] : config.test_cmd;
  if (!Array.isArray(given)) throw new FieldError('install_config.test_cmd', 'must be a command or a list of commands');
  const commands = given.filter((command): command is string => typeof command === 'string' && command.trim() !== '');
  if (commands.length === 0) throw new FieldError('install_config.test_cmd', 'holds no command');
  return commands;
}

/**
 * The test command: the harness's script (the test patch applied, then the row's commands, under `set -e`) run with
 * its two outputs kept apart, then printed between the log's markers, standard output first, with no shell trace
 * among them; its exit status is the test command's.
 */
function testCommand(testPatch: string, commands: string[]): string {
  const at = (name: string) => `${WORKSPACE}/${name}`;
  const script = ['set -e', `${APPLY} ${at('test_patch.diff')}`, ...commands].join('\n');
  const { start, end } = SWE_REBENCH_V2_LOG_MARKERS;
  return [
    `mkdir -p ${WORKSPACE}`,
    writeFileCommand(at('test_patch.diff'), testPatch),
    writeFileCommand(at('eval.sh'), script),
    `_JAVA_OPTIONS=-Djava.net.preferIPv6Addresses=false /bin/bash ${at('eval.sh')} >${at('stdout.log')} 2>${at('stderr.log')}`,
    'ROLLOUT_V2_STATUS=$?',
    'set +x',
    `echo ${shellQuote(start)}`,
    `cat ${at('stdout.log')} ${at('stderr.log')}`,
    `printf '\\n%s\\n' ${shellQuote(end)}`,
    'set -x',
    '(exit $ROLLOUT_V2_STATUS)',
  ].join('\n');
}

/**
 * V2's images make every file of the repository mode 777 after checking it out (`chmod -R 777`), so git would take
 * every file for changed: every diff would carry their modes, which no patch of another tree applies with, and
 * `git apply --3way` would find no file matching the index. The modes the image set are not the agent's work.
 */
const IGNORE_IMAGE_FILE_MODES = 'git config core.fileMode false && { git update-index -q --refresh || true; }';

function requiredPatch(row: Row, field: 'patch' | 'test_patch'): string {
  const patch = requiredString(row, field);
  if (!patch.trim()) throw new FieldError(field, 'is empty: the harness evaluates no row without one');
  return patch;
}

export function sweRebenchV2RowToTask(row: Row): Task {
  const id = requiredString(row, 'instance_id');
  const repo = requiredString(row, 'repo');
  const [, name] = repo.split('/');
  if (!/^[^/\s]+\/[^/\s]+$/.test(repo)) throw new FieldError('repo', `'${repo}' is not of the form owner/name`);
  const commit = requiredString(row, 'base_commit');
  if (!/^[0-9a-f]{7,40}$/i.test(commit)) throw new FieldError('base_commit', `'${commit}' is not a commit hash`);
  const image = optionalString(row, 'image_name');
  if (!image) throw new FieldError('image_name', 'is missing: SWE-rebench-V2 rows run in the image they name');
  const config = installConfig(row);
  if (!config) throw new FieldError('install_config', "is missing: it names the row's test commands and log parser");
  const parser = config.log_parser;
  if (typeof parser !== 'string' || !parser)
    throw new FieldError('install_config.log_parser', "must name the harness's parser for the row's log");
  const testPatch = requiredPatch(row, 'test_patch');
  return {
    id,
    kind: 'swe-bench',
    dataset: 'swe-rebench-v2',
    harness: 'swe-rebench-v2',
    repo: { name: repo, location: `https://github.com/${repo}.git`, commit },
    problemStatement: requiredString(row, 'problem_statement'),
    hints: '',
    language: optionalString(row, 'language')?.toLowerCase(),
    testPatch,
    goldPatch: requiredPatch(row, 'patch'),
    failToPass: stringListField(row, 'FAIL_TO_PASS', { required: true }),
    passToPass: stringListField(row, 'PASS_TO_PASS', { required: true }),
    sweRebenchV2Parser: parser,
    environment: {
      install: [],
      testCommand: testCommand(testPatch, testCommands(config)),
      logParser: SWE_REBENCH_V2_LOG_PARSER,
    },
    instance: { image, workdir: `/${name}`, setup: IGNORE_IMAGE_FILE_MODES },
  };
}
