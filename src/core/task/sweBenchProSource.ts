/**
 * SWE-bench Pro (ScaleAI/SWE-bench_Pro) as released: a repository at `/app` in the instance's image
 * (`jefzda/sweap-images:<dockerhub_tag>`), graded as its harness (scaleapi/SWE-bench_Pro-os, swe_bench_pro_eval.py)
 * grades it: the model's patch applied with `git apply -v`, binary hunks left out; the last line of
 * `before_repo_set_cmd` (it checks the fix's test files out); the instance's `run_script.sh` given the selected test
 * files, its output read by the instance's `parser.py` into `{"tests": [{"name", "status"}]}`; resolved when every
 * FAIL_TO_PASS and PASS_TO_PASS test is PASSED there.
 *
 * The rows do not carry the two scripts: the harness keeps them in `run_scripts/<instance_id>/`. They are read
 * from a `run_scripts` folder beside the task file (the file saved in a checkout of the harness, or the folder
 * linked there). A run script that installs packages over the network is refused: a sandbox has none, and the
 * failed install would be graded as failed tests.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SWE_BENCH_PRO_RESULTS_MARKERS } from '../reward/logParsers/sweBenchPro';
import { shellQuote, writeFileCommand } from '../shellWords';
import { loadRows, optionalString, requiredString, stringListField, type Row } from './rows';
import { FieldError, type Task, type TaskLoadResult, type TaskSource } from './task';

/** Where SWE-bench Pro's images hold the repository. */
const PRO_WORKDIR = '/app';
/** Where the harness puts the patch, the scripts and their outputs inside the container. */
const WORKSPACE = '/workspace';
const IMAGE_REPOSITORY = 'jefzda/sweap-images';

/** A package install, which fetches from the network (a bare `yarn` installs too); loopback requests do not count. */
const PACKAGE_INSTALL = new RegExp(
  [
    String.raw`\b(?:npm (?:install|ci|i)|yarn install|pnpm (?:install|i)|pip3? install)\b`,
    String.raw`\bgo (?:get|mod download)\b`,
    String.raw`\bapt(?:-get)? install\b`,
    String.raw`^\s*yarn\s*$`,
  ].join('|'),
  'm',
);

const LANGUAGES: Record<string, string> = { js: 'javascript', ts: 'typescript', python: 'python', go: 'go' };

/** The two scripts the harness keeps for an instance. */
interface InstanceScripts {
  runScript: string;
  parser: string;
}

function instanceScripts(taskFile: string, instanceId: string): InstanceScripts {
  const folder = join(dirname(taskFile), 'run_scripts', instanceId);
  const read = (name: string) => {
    const path = join(folder, name);
    if (!existsSync(path))
      throw new FieldError(
        'instance_id',
        `no ${path}: SWE-bench Pro grades each instance with its harness's run_script.sh and parser.py; save the ` +
          'task file in a checkout of scaleapi/SWE-bench_Pro-os, or link its run_scripts folder beside the file',
      );
    return readFileSync(path, 'utf8');
  };
  const scripts = { runScript: read('run_script.sh'), parser: read('parser.py') };
  const commands = scripts.runScript.replace(/^\s*#.*$/gm, '');
  const install = PACKAGE_INSTALL.exec(commands);
  if (install)
    throw new FieldError(
      'instance_id',
      `its run script (${join(folder, 'run_script.sh')}) installs packages over the network ('${install[0]}'), ` +
        'which a sandbox does not have: the tests could not run, and would be graded as failed',
    );
  return scripts;
}

/** The image the harness names for a row without `dockerhub_tag` (its helper_code/image_uri.py rule). */
function dockerhubTag(instanceId: string, repo: string): string {
  const [owner, name] = repo.toLowerCase().split('/');
  let repoName = name;
  let hash = instanceId.replace('instance_', '');
  if (instanceId === 'instance_element-hq__element-web-ec0f940ef0e8e3b61078f145f34dc40d1938e6c5-vnan')
    repoName = 'element-web';
  else if (repo.toLowerCase().includes('element-hq') && repo.toLowerCase().includes('element-web')) {
    repoName = 'element';
    if (hash.endsWith('-vnan')) hash = hash.slice(0, -5);
  } else if (hash.endsWith('-vnan')) hash = hash.slice(0, -5);
  return `${owner}.${repoName}-${hash}`.slice(0, 128);
}

/** What the agent is asked: the issue, its requirements and the interfaces it introduces, as the harness words it. */
function problemStatement(row: Row): string {
  return [
    requiredString(row, 'problem_statement'),
    '',
    'Requirements:',
    optionalString(row, 'requirements') ?? '',
    '',
    'New interfaces introduced:',
    optionalString(row, 'interface') ?? '',
  ].join('\n');
}

/**
 * The test command: the scripts written to the workspace, the run script given the selected files (its output
 * kept apart, as the harness keeps it, then shown), the parser's results printed between their markers.
 */
function testCommand(scripts: InstanceScripts, selectedFiles: string[]): string {
  const { start, end } = SWE_BENCH_PRO_RESULTS_MARKERS;
  const at = (name: string) => `${WORKSPACE}/${name}`;
  return [
    `mkdir -p ${WORKSPACE}`,
    writeFileCommand(at('run_script.sh'), scripts.runScript),
    writeFileCommand(at('parser.py'), scripts.parser),
    `bash ${at('run_script.sh')} ${shellQuote(selectedFiles.join(','))} >${at('stdout.log')} 2>${at('stderr.log')}`,
    // A second run in the same sandbox (the tests again without the patch) must not read the first's results.
    `rm -f ${at('output.json')}`,
    `python ${at('parser.py')} ${at('stdout.log')} ${at('stderr.log')} ${at('output.json')}`,
    `cat ${at('stdout.log')} ${at('stderr.log')}`,
    // No command traces between the markers: only the results (json.dump ends them without a newline).
    'set +x',
    `echo ${shellQuote(start)}`,
    `cat ${at('output.json')}`,
    'echo',
    `echo ${shellQuote(end)}`,
    'set -x',
  ].join('\n');
}

/** A list field the dataset writes in lower case (`fail_to_pass`); the upper-case name of SWE-bench is taken too. */
function testList(row: Row, field: 'fail_to_pass' | 'pass_to_pass'): string[] {
  const upper = field.toUpperCase();
  return stringListField(row, field in row ? field : upper, { required: true });
}

export function sweBenchProRowToTask(row: Row, taskFile: string): Task {
  const id = requiredString(row, 'instance_id');
  const repo = requiredString(row, 'repo');
  if (!/^[^/\s]+\/[^/\s]+$/.test(repo)) throw new FieldError('repo', `'${repo}' is not of the form owner/name`);
  const commit = requiredString(row, 'base_commit');
  if (!/^[0-9a-f]{7,40}$/i.test(commit)) throw new FieldError('base_commit', `'${commit}' is not a commit hash`);
  const checkout = requiredString(row, 'before_repo_set_cmd').trim().split('\n').at(-1) as string;
  const selectedFiles = stringListField(row, 'selected_test_files_to_run', { required: true });
  const language = optionalString(row, 'repo_language')?.toLowerCase();
  const failToPass = testList(row, 'fail_to_pass');
  const passToPass = testList(row, 'pass_to_pass');
  const scripts = instanceScripts(taskFile, id);
  return {
    id,
    kind: 'swe-bench',
    dataset: 'swe-bench-pro',
    harness: 'swe-bench-pro',
    repo: { name: repo, location: `https://github.com/${repo}.git`, commit },
    problemStatement: problemStatement(row),
    hints: '',
    language: language && (LANGUAGES[language] ?? language),
    // The harness applies no test patch: the last line of before_repo_set_cmd checks the fix's test files out.
    testPatch: '',
    goldPatch: optionalString(row, 'patch') ?? '',
    failToPass,
    passToPass,
    environment: {
      install: [],
      build: [checkout],
      testCommand: testCommand(scripts, selectedFiles),
      logParser: 'swebench_pro',
    },
    instance: {
      image: `${IMAGE_REPOSITORY}:${optionalString(row, 'dockerhub_tag') ?? dockerhubTag(id, repo)}`,
      workdir: PRO_WORKDIR,
    },
  };
}

export class SweBenchProSource implements TaskSource {
  readonly format = 'swe-bench-pro';

  load(path: string): Promise<TaskLoadResult> {
    return loadRows(path, (row) => sweBenchProRowToTask(row, path));
  }
}
