/**
 * Makes the logs of the grading parity corpus (test/fixtures/grading-parity): every run goes through Rollout
 * Studio's own evaluation script (src/core/reward/evalScript.ts) in a scratch git repository, with the real
 * test runner where one can run here (on the host, or in a sandbox image) and a stand-in that prints a
 * hand-written log where none can. Variants (CRLF, colour, truncation, a different exit status…) are made
 * from those logs. It writes logs/, tasks.jsonl and cases.json; the harness's verdicts on them are made
 * separately (README.md).
 *   node out/scripts/grading-parity/generate.js [RUN_ID_PREFIX…]
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { evalScript } from '../../src/core/reward/evalScript';
import { packageRoot } from '../../src/core/paths';
import { INSTANCES, RUNS, VARIANTS, type ParityRun, type ParityVariant } from './scenarios';

const CORPUS = join(packageRoot(), 'test', 'fixtures', 'grading-parity');
const SOURCES = join(CORPUS, 'sources');
const SCRATCH = '/tmp/rollout-parity';
const HOST_WORKDIR = join(SCRATCH, 'testbed');
const IMAGES: Record<string, string> = {
  python: process.env.PARITY_PYTHON_IMAGE ?? '',
  go: process.env.PARITY_GO_IMAGE ?? '',
};

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value || !existsSync(value)) throw new Error(`set ${name} to an existing folder`);
  return value;
}

function sh(command: string, cwd: string): string {
  const result = spawnSync('bash', ['-c', command], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} in ${cwd} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function copyTree(from: string, to: string, skip: (relative: string) => boolean, prefix = ''): void {
  for (const name of readdirSync(from, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${name.name}` : name.name;
    if (skip(relative)) continue;
    if (name.isDirectory()) {
      mkdirSync(join(to, relative), { recursive: true });
      copyTree(join(from, name.name), to, skip, relative);
    } else cpSync(join(from, name.name), join(to, relative));
  }
}

/** A scratch repository at the suite's base state, and the test patch that adds or changes its test files. */
function prepareRepository(run: ParityRun): string {
  rmSync(SCRATCH, { recursive: true, force: true });
  mkdirSync(HOST_WORKDIR, { recursive: true });
  const suite = join(SOURCES, 'suites', run.suite);
  const isTestFile = (relative: string) => run.testFiles.includes(relative);
  copyTree(suite, HOST_WORKDIR, (relative) => isTestFile(relative) || relative === 'base');
  // A test file the patch changes exists at the base in its `base/` version.
  if (existsSync(join(suite, 'base'))) copyTree(join(suite, 'base'), HOST_WORKDIR, () => false);
  sh(
    'git init -q && git add -A && git -c user.name=parity -c user.email=p@p commit -q --allow-empty -m base',
    HOST_WORKDIR,
  );
  for (const file of run.testFiles) {
    mkdirSync(dirname(join(HOST_WORKDIR, file)), { recursive: true });
    cpSync(join(suite, file), join(HOST_WORKDIR, file));
  }
  sh('git add -N . && git diff > ../test.patch && git reset -q --hard && git clean -fdq', HOST_WORKDIR);
  // What the model's patch left in the tree, test files included (the script resets those).
  for (const [file, content] of Object.entries(run.modelEdits ?? {})) writeFileSync(join(HOST_WORKDIR, file), content);
  // JavaScript runners installed with npm outside the corpus (a folder named by an environment variable), linked in like an install.
  if (run.nodeModules) symlinkSync(requiredEnv(run.nodeModules), join(HOST_WORKDIR, 'node_modules'));
  return readFileSync(join(SCRATCH, 'test.patch'), 'utf8');
}

/** Stand-ins for runners that cannot run here: the n-th call prints `n.out` of its folder and exits with `n.code`. */
function writeStandIns(run: ParityRun): string {
  const bin = join(SCRATCH, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [tool, folder] of Object.entries(run.standIns ?? {})) {
    const outputs = join(SOURCES, 'handwritten', folder);
    const script = `#!/bin/bash
count_file=${SCRATCH}/.${tool}.calls
n=$(( $(cat "$count_file" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$count_file"
cat "${outputs}/$n.out"
exit "$(cat "${outputs}/$n.code" 2>/dev/null || echo 0)"
`;
    writeFileSync(join(bin, tool), script);
    chmodSync(join(bin, tool), 0o755);
  }
  return bin;
}

function runOnce(run: ParityRun): string {
  const testPatch = prepareRepository(run);
  const image = run.image ? IMAGES[run.image] : undefined;
  if (run.image && !image)
    throw new Error(`${run.id}: set PARITY_${run.image.toUpperCase()}_IMAGE to the image to run it in`);
  const script = evalScript({
    task: { testPatch },
    environment: {
      install: run.install ?? [],
      build: run.build,
      testCommand: run.testCommand,
      logParser: 'pytest',
    },
    workdir: image ? '/testbed' : HOST_WORKDIR,
  });
  writeFileSync(join(SCRATCH, 'eval.sh'), script);
  const bin = writeStandIns(run);
  // A scratch HOME keeps the script's `git config --global` out of the real one.
  const home = join(SCRATCH, 'home');
  mkdirSync(home, { recursive: true });
  const env = { ...process.env, HOME: home, PATH: `${bin}:${run.path ?? ''}${process.env.PATH}`, ...run.env };
  const command = image
    ? `docker run --rm --network none -u 0:0 -v ${HOST_WORKDIR}:/testbed -v ${SCRATCH}/eval.sh:/eval.sh ${image} bash -c 'bash /eval.sh 2>&1'`
    : `bash ${SCRATCH}/eval.sh 2>&1`;
  const result = spawnSync('bash', ['-c', command], { env, encoding: 'utf8', maxBuffer: 64 * 1024 ** 2 });
  if (result.error) throw result.error;
  return result.stdout;
}

function main(): void {
  const only = process.argv.slice(2);
  const selected = (id: string) => only.length === 0 || only.some((prefix) => id.startsWith(prefix));
  mkdirSync(join(CORPUS, 'logs'), { recursive: true });
  for (const run of RUNS) {
    if (!selected(run.id)) continue;
    const log = runOnce(run);
    writeFileSync(join(CORPUS, 'logs', `${run.id}.log`), log);
    console.log(`${run.id}: ${log.length} bytes`);
  }
  for (const variant of VARIANTS) {
    if (!selected(variant.id) || !variant.transform) continue;
    const log = readFileSync(join(CORPUS, 'logs', `${variant.from}.log`), 'utf8');
    writeFileSync(join(CORPUS, 'logs', `${variant.id}.log`), variant.transform(log));
  }
  const logOf = (entry: ParityRun | ParityVariant) =>
    'from' in entry && !entry.transform ? `logs/${entry.from}.log` : `logs/${entry.id}.log`;
  const cases = [...RUNS, ...VARIANTS].map((entry) => ({
    id: entry.id,
    instance_id: entry.instance,
    log: logOf(entry),
    harness_versions: entry.harnessVersions ?? [4, 5],
    ...(entry.patchIsNone ? { patch_is_none: true } : {}),
    what: entry.what,
  }));
  writeFileSync(join(CORPUS, 'cases.json'), `${JSON.stringify(cases, null, 1)}\n`);
  const rows = INSTANCES.map((instance) =>
    JSON.stringify({
      instance_id: instance.id,
      repo: instance.repo,
      version: instance.version,
      base_commit: '0000000000000000000000000000000000000000',
      problem_statement: '(grading parity corpus)',
      FAIL_TO_PASS: instance.failToPass,
      PASS_TO_PASS: instance.passToPass,
      log_parser: `parse_log_${instance.logParser}`,
      ...(instance.evalType ? { eval_type: instance.evalType } : { eval_type: 'pass_and_fail' }),
    }),
  );
  writeFileSync(join(CORPUS, 'tasks.jsonl'), `${rows.join('\n')}\n`);
  console.log(`${cases.length} cases, ${rows.length} instances`);
}

main();
