/**
 * The grading parity corpus, case by case: which suite runs with which command (or which hand-written log a
 * stand-in prints), which variants are made of the logs, and the instances (repository, version, expected
 * tests) they are graded as. Instances probe the grading rules: ids cut at a space, brackets, skipped,
 * xfail and xpass tests, tests absent from the log, duplicated ids, FAIL_ONLY repositories.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths';

function readHandwritten(path: string): string {
  return readFileSync(
    join(packageRoot(), 'test', 'fixtures', 'grading-parity', 'sources', 'handwritten', path),
    'utf8',
  );
}

export interface ParityInstance {
  id: string;
  repo: string;
  version: string;
  /** The harness's parser name, without `parse_log_`. */
  logParser: string;
  evalType?: 'pass_and_fail' | 'fail_only';
  failToPass: string[];
  passToPass: string[];
}

interface CaseFields {
  id: string;
  instance: string;
  /** What the case checks, in words. */
  what: string;
  /** Harness releases the case is graded under: 4 only where the repository and version are in 4.1.0's tables. */
  harnessVersions?: number[];
  patchIsNone?: boolean;
}

export interface ParityRun extends CaseFields {
  /** A folder under sources/suites. */
  suite: string;
  /** Files of the suite the test patch adds or changes (a changed one has its base version under `base/`). */
  testFiles: string[];
  testCommand: string;
  install?: string[];
  build?: string[];
  /** Run in a sandbox image instead of on the host. */
  image?: 'python' | 'go';
  env?: Record<string, string>;
  /** Prepended to PATH (e.g. a virtual environment's bin/). */
  path?: string;
  /** Tool name → folder under sources/handwritten whose `n.out` the n-th call prints. */
  standIns?: Record<string, string>;
  /** Files the model's patch left changed (test files among them are reset by the script). */
  modelEdits?: Record<string, string>;
  /** The environment variable naming a folder of npm-installed runners, linked in as node_modules. */
  nodeModules?: 'PARITY_NODE_MODULES' | 'PARITY_BROWSER_MODULES';
}

export interface ParityVariant extends CaseFields {
  from: string;
  /** Makes the variant's log from the run's; without one, the case grades the run's log as it is. */
  transform?: (log: string) => string;
}

export const INSTANCES: ParityInstance[] = [];
export const RUNS: ParityRun[] = [];
export const VARIANTS: ParityVariant[] = [];

let counter = 0;

/**
 * Registers an instance of `repo` and returns its id, `owner__name-N` with N unique in the corpus. Where the
 * harness reads a pull-request number from the id (`number`), it stays where the harness looks for it:
 * jekyll's after the first dash, immutable-js's after the last.
 */
function instance(fields: Omit<ParityInstance, 'id'> & { number?: string }): string {
  counter += 1;
  const [owner, name] = fields.repo.split('/');
  const unique = String(90000 + counter);
  const suffix =
    fields.number === undefined
      ? unique
      : fields.repo === 'jekyll/jekyll'
        ? `${fields.number}-${unique}`
        : `${unique}-${fields.number}`;
  const id = `${owner}__${name}-${suffix}`;
  INSTANCES.push({ ...fields, number: undefined, id } as ParityInstance);
  return id;
}

/** Expected-test probes over one log's ids: each becomes an instance, and one case per log. */
interface Probe {
  name: string;
  failToPass: string[];
  passToPass: string[];
}

function probeCases(
  logId: string,
  base: Omit<ParityInstance, 'id' | 'failToPass' | 'passToPass'> & { number?: string },
  probes: Probe[],
  fields: { harnessVersions?: number[] } = {},
): void {
  for (const probe of probes) {
    const id = instance({ ...base, failToPass: probe.failToPass, passToPass: probe.passToPass });
    VARIANTS.push({
      id: `${logId}.${probe.name}`,
      from: logId,
      instance: id,
      what: probe.name.replaceAll('-', ' '),
      ...fields,
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// pytest: one suite with every kind of outcome and id, run the ways the harness's repositories run it.

const CALC = 'tests/test_calc.py::';
const calc = (name: string) => `${CALC}${name}`;

const PYTEST_PROBES: Probe[] = [
  {
    name: 'all-pass',
    failToPass: [calc('test_add'), calc('TestWords::test_split')],
    passToPass: [calc('test_add_many[1-2-3]'), calc('test_add_many[-1-1-0]'), calc('test_paths[relative/a.py]')],
  },
  {
    name: 'one-fails',
    failToPass: [calc('test_add'), calc('test_add_fails')],
    passToPass: [calc('TestWords::test_split')],
  },
  { name: 'all-fail', failToPass: [calc('test_add_fails'), calc('test_add_many[2-2-5]')], passToPass: [] },
  {
    name: 'p2p-broken',
    failToPass: [calc('test_add')],
    passToPass: [calc('TestWords::test_split_fails'), calc('TestWords::test_split')],
  },
  {
    name: 'ids-cut-at-space',
    failToPass: [calc('test_words_ids[hello'), calc('test_words_ids[a')],
    passToPass: [calc('test_add')],
  },
  {
    name: 'ids-with-spaces-whole',
    failToPass: [calc('test_words_ids[hello world]'), calc('test_words_ids[a - b]')],
    passToPass: [],
  },
  {
    name: 'brackets-and-escapes',
    failToPass: [calc('test_words_ids[[nested]]'), calc('test_words_ids[tab\\there]')],
    passToPass: [calc('test_words_ids[unicod\\xe9'), calc('test_mouse[MouseButton.LEFT]')],
  },
  {
    name: 'path-parameters',
    failToPass: [calc('test_paths[/tmp/build/x/conftest.py]'), calc('test_paths[/conftest.py]')],
    passToPass: [calc('test_paths[//server/share]'), calc('test_paths[/data/*.csv]')],
  },
  { name: 'mouse-buttons', failToPass: [calc('test_mouse[1]'), calc('test_mouse[3]')], passToPass: [calc('test_add')] },
  { name: 'skipped-f2p', failToPass: [calc('test_skipped'), calc('test_add')], passToPass: [] },
  { name: 'skipped-p2p', failToPass: [calc('test_add')], passToPass: [calc('test_skipped_if'), calc('test_skipped')] },
  {
    name: 'xfail-and-xpass',
    failToPass: [calc('test_expected_failure')],
    passToPass: [calc('test_unexpected_pass')],
  },
  { name: 'xfail-only', failToPass: [calc('test_expected_failure')], passToPass: [calc('test_add')] },
  {
    name: 'setup-and-teardown-errors',
    failToPass: [calc('test_setup_error')],
    passToPass: [calc('test_teardown_error')],
  },
  { name: 'absent-test', failToPass: [calc('test_not_there')], passToPass: [calc('test_add')] },
  { name: 'empty-lists', failToPass: [], passToPass: [] },
  {
    name: 'cut-prefix-disagrees',
    failToPass: [calc('test_add_many[')],
    passToPass: [],
  },
  {
    name: 'cut-prefix-agrees',
    failToPass: [calc('test_add_many[-1')],
    passToPass: [calc('test_paths[/tmp/build/x')],
  },
];

/** A run of a suite, graded as an instance of each repository family that reads its output, by every probe. */
function runWithProbes(
  run: Omit<ParityRun, 'instance'>,
  families: { repo: string; version: string; logParser: string; evalType?: 'fail_only'; number?: string }[],
  probes: Probe[],
  fields: { harnessVersions?: number[] } = {},
): void {
  const [first, ...others] = families;
  RUNS.push({
    ...run,
    instance: instance({ ...first, failToPass: probes[0].failToPass, passToPass: probes[0].passToPass }),
    ...fields,
  });
  probeCases(run.id, first, probes.slice(1), fields);
  for (const family of others) {
    for (const probe of probes) {
      const id = instance({ ...family, failToPass: probe.failToPass, passToPass: probe.passToPass });
      VARIANTS.push({
        id: `${run.id}.${family.logParser}.${probe.name}`,
        from: run.id,
        instance: id,
        what: `${run.what}, read as ${family.repo}: ${probe.name.replaceAll('-', ' ')}`,
        ...fields,
      });
    }
  }
}

/** A variant of a run's log graded as a new instance with its own expected tests. */
function variant(
  id: string,
  from: string,
  family: { repo: string; version: string; logParser: string; evalType?: 'fail_only'; number?: string },
  probe: { failToPass: string[]; passToPass: string[] },
  what: string,
  transform: ((log: string) => string) | undefined,
  fields: { harnessVersions?: number[]; patchIsNone?: boolean } = {},
): void {
  VARIANTS.push({ id, from, instance: instance({ ...family, ...probe }), what, transform, ...fields });
}

const PYTEST_SUITE = { suite: 'pytest-calc', testFiles: ['tests/test_calc.py'] };
const PYTEST = { repo: 'pytest-dev/pytest', version: '8.4', logParser: 'pytest' };
const FLASK = { repo: 'pallets/flask', version: '3.0', logParser: 'flask' };
const XARRAY = { repo: 'pydata/xarray', version: '2024.05', logParser: 'xarray' };
const REQUESTS = { repo: 'psf/requests', version: '2.9', logParser: 'requests' };
const PYDICOM = { repo: 'pydicom/pydicom', version: '3.0', logParser: 'pydicom' };
const PYLINT = { repo: 'pylint-dev/pylint', version: '3.3', logParser: 'pylint' };
const MATPLOTLIB = { repo: 'matplotlib/matplotlib', version: '3.9', logParser: 'matplotlib' };
const SEABORN = { repo: 'mwaskom/seaborn', version: '0.13', logParser: 'seaborn' };
const ASTROPY = { repo: 'astropy/astropy', version: '5.2', logParser: 'astropy' };
const SKLEARN = { repo: 'scikit-learn/scikit-learn', version: '1.5', logParser: 'scikit' };
const SPHINX = { repo: 'sphinx-doc/sphinx', version: '8.1', logParser: 'sphinx' };

runWithProbes(
  {
    id: 'pytest-host',
    what: 'pytest 9 with -rA',
    ...PYTEST_SUITE,
    testCommand: 'python3 -m pytest -rA -p no:cacheprovider {test_files}',
  },
  [PYTEST, REQUESTS, MATPLOTLIB, ASTROPY],
  PYTEST_PROBES,
);
runWithProbes(
  {
    id: 'pytest-image',
    what: 'pytest 7 in the python image, -rA',
    ...PYTEST_SUITE,
    image: 'python',
    testCommand: 'pytest -rA {test_files}',
  },
  [FLASK, PYDICOM],
  PYTEST_PROBES,
);
runWithProbes(
  {
    id: 'pytest-classic-verbose',
    what: "astropy's command: -rA -vv, classic console output, no tracebacks",
    ...PYTEST_SUITE,
    testCommand: 'python3 -m pytest -rA -vv -o console_output_style=classic --tb=no {test_files}',
  },
  [ASTROPY, PYLINT],
  PYTEST_PROBES,
);
runWithProbes(
  {
    id: 'pytest-colour',
    what: 'pytest with --color=yes -v: colour codes around statuses and ids',
    ...PYTEST_SUITE,
    testCommand: 'python3 -m pytest -rA -v --color=yes {test_files}',
  },
  [SKLEARN, PYTEST],
  PYTEST_PROBES,
);
runWithProbes(
  {
    id: 'pytest-seaborn',
    what: "seaborn's command: --no-header -rA in the python image",
    ...PYTEST_SUITE,
    image: 'python',
    testCommand: 'pytest --no-header -rA {test_files}',
  },
  [SEABORN, MATPLOTLIB],
  PYTEST_PROBES.slice(0, 10),
);
runWithProbes(
  {
    id: 'pytest-verbose-only',
    what: 'pytest -v without -rA: no short summary',
    ...PYTEST_SUITE,
    testCommand: 'python3 -m pytest -v -p no:cacheprovider {test_files}',
  },
  [PYTEST, SPHINX, XARRAY],
  PYTEST_PROBES.slice(0, 6),
);

const CRASH = 'tests/test_crash.py::';
runWithProbes(
  {
    id: 'pytest-crash',
    what: 'the interpreter dies in the middle of the run (os._exit): verbose lines, no summary',
    suite: 'pytest-crash',
    testFiles: ['tests/test_crash.py'],
    testCommand: 'python3 -m pytest -rA -vv -o console_output_style=classic {test_files}',
  },
  [PYTEST, ASTROPY],
  [
    { name: 'before-crash', failToPass: [`${CRASH}test_before`], passToPass: [] },
    { name: 'after-crash', failToPass: [`${CRASH}test_after`], passToPass: [`${CRASH}test_before`] },
  ],
);

const GOOD = 'tests/test_good.py::';
runWithProbes(
  {
    id: 'pytest-collection-error',
    what: 'a test file fails to import: a collection error ends the run before any test',
    suite: 'pytest-collect',
    testFiles: ['tests/test_broken.py'],
    testCommand: 'python3 -m pytest -rA -p no:cacheprovider tests/test_good.py {test_files}',
  },
  [PYTEST, SKLEARN],
  [
    { name: 'broken-file', failToPass: ['tests/test_broken.py::test_shelf'], passToPass: [`${GOOD}test_fine`] },
    { name: 'file-as-id', failToPass: ['tests/test_broken.py'], passToPass: [] },
  ],
);

const SPOOF = 'tests/test_feature.py::';
runWithProbes(
  {
    id: 'pytest-spoofed',
    what: 'a conftest prints PASSED lines and exits 1 before any test runs',
    suite: 'pytest-spoof',
    testFiles: ['tests/test_feature.py', 'tests/conftest.py'],
    testCommand: 'python3 -m pytest -rA -p no:cacheprovider {test_files}',
  },
  [PYTEST, FLASK],
  [{ name: 'claims-pass', failToPass: [`${SPOOF}test_feature_works`], passToPass: [`${SPOOF}test_feature_edge_case`] }],
);

runWithProbes(
  {
    id: 'pytest-data-files',
    what: "the test patch adds data files, which the harness leaves out of pytest's arguments",
    suite: 'pytest-data',
    testFiles: ['tests/test_config.py', 'tests/data/settings.json', 'tests/data/README.md'],
    image: 'python',
    testCommand: 'pytest -rA {test_files}',
  },
  [PYTEST],
  [
    {
      name: 'data-loaded',
      failToPass: ['tests/test_config.py::test_loads_settings', 'tests/test_config.py::test_loads_nested'],
      passToPass: [],
    },
  ],
);

runWithProbes(
  {
    id: 'pytest-reset',
    what: 'the model edited the test file; the script restores it before applying the test patch',
    suite: 'pytest-reset',
    testFiles: ['tests/test_slug.py'],
    modelEdits: {
      'tests/test_slug.py':
        'def test_simple():\n    assert True\n\n\ndef test_punctuation_is_dropped():\n    assert True\n',
    },
    testCommand: 'python3 -m pytest -rA -p no:cacheprovider {test_files}',
  },
  [PYTEST],
  [
    {
      name: 'reset-tests',
      failToPass: ['tests/test_slug.py::test_punctuation_is_dropped'],
      passToPass: ['tests/test_slug.py::test_simple'],
    },
  ],
);

// Rule cases made from the pytest log: exit status, markers, line endings, colour, truncation, duplicates.
const ALL_PASS = PYTEST_PROBES[0];
const withoutFailures = (log: string) =>
  log
    .split('\n')
    .filter((line) => !/^(FAILED|ERROR) /.test(line))
    .join('\n');
variant(
  'rules.exit-1-no-failure',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  'exit status 1, but the log lists no failing test',
  withoutFailures,
);
variant(
  'rules.exit-1-no-failure-v2',
  'pytest-host',
  ASTROPY,
  ALL_PASS,
  'the same, read by the pytest_v2 parser',
  withoutFailures,
);
variant(
  'rules.exit-0-with-failures',
  'pytest-host',
  PYTEST,
  PYTEST_PROBES[1],
  'exit status 0 with failing tests listed',
  (log) =>
    log
      .replace(/Test Exit Code: 1/g, 'Test Exit Code: 0')
      .replace('ROLLOUT_TEST_EXIT_CODE=1', 'ROLLOUT_TEST_EXIT_CODE=0'),
);
variant('rules.no-exit-code', 'pytest-host', PYTEST, ALL_PASS, 'a log from before exit statuses were recorded', (log) =>
  withoutFailures(log)
    .split('\n')
    .filter((line) => !line.includes('Test Exit Code') && !line.includes('ROLLOUT_TEST_EXIT_CODE'))
    .join('\n'),
);
variant(
  'rules.exit-2-interrupted',
  'pytest-collection-error',
  PYTEST,
  { failToPass: [`${GOOD}test_fine`], passToPass: [] },
  'exit status 2 after a collection error',
  undefined,
);
variant('rules.no-start-marker', 'pytest-host', PYTEST, ALL_PASS, 'the start marker is missing', (log) =>
  log.replaceAll('>>>>> Start Test Output', 'start of the test output'),
);
variant(
  'rules.no-end-marker',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  'the end marker is missing (the run was cut off)',
  (log) => log.replaceAll('>>>>> End Test Output', 'end of the test output'),
);
variant(
  'rules.patch-apply-failed-marker',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  "the log holds the harness's patch-apply failure marker",
  (log) => `>>>>> Patch Apply Failed:\nerror: patch failed: src/calc.py:3\n${log}`,
);
variant(
  'rules.tests-timed-out-marker',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  "the log holds the harness's timeout marker",
  (log) => `${log}>>>>> Tests Timed Out\n`,
);
variant(
  'rules.results-outside-markers',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  'the summary was written after the end marker (stderr flushed late)',
  (log) => {
    const lines = log.split('\n');
    const summary = lines.filter((line) => /^(PASSED|FAILED|ERROR|XFAIL|XPASS|SKIPPED) /.test(line));
    return [...lines.filter((line) => !summary.includes(line)), ...summary, ''].join('\n');
  },
);
const crlf = (log: string) => log.replaceAll('\n', '\r\n');
variant('rules.crlf-pytest', 'pytest-host', PYTEST, ALL_PASS, 'CRLF line endings, read by the pytest parser', crlf);
variant(
  'rules.crlf-pytest-options',
  'pytest-host',
  REQUESTS,
  PYTEST_PROBES[7],
  'CRLF line endings, path parameters',
  crlf,
);
variant(
  'rules.crlf-pytest-v2',
  'pytest-classic-verbose',
  ASTROPY,
  ALL_PASS,
  'CRLF line endings, read by pytest_v2',
  crlf,
);
variant(
  'rules.colour-pytest',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  'colour codes around the status words, read by the pytest parser',
  (log) => log.replace(/^(PASSED|FAILED|ERROR|XFAIL|SKIPPED) /gm, '\u001b[32m$1\u001b[0m '),
);
variant(
  'rules.colour-pytest-v2',
  'pytest-host',
  SKLEARN,
  ALL_PASS,
  'colour codes around the status words, read by pytest_v2',
  (log) => log.replace(/^(PASSED|FAILED|ERROR|XFAIL|SKIPPED) /gm, '\u001b[32m$1\u001b[0m '),
);
variant(
  'rules.colour-bold',
  'pytest-host',
  SKLEARN,
  ALL_PASS,
  'bold colour codes (`[1;31m`) that pytest_v2 does not remove',
  (log) => log.replace(/^(PASSED|FAILED) /gm, '\u001b[1;32m$1\u001b[0m '),
);
const truncated = (marker: string) => (log: string) => {
  const start = log.indexOf(marker);
  return start < 0 ? log : `${log.slice(0, start)}+ : '>>>>> End Test Output'\n`;
};
variant(
  'rules.truncated-before-summary',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  'the log ends before the summary',
  truncated('==================================== PASSES'),
);
variant(
  'rules.truncated-verbose',
  'pytest-classic-verbose',
  ASTROPY,
  ALL_PASS,
  'a verbose log cut before its summary',
  truncated('==================================== PASSES'),
);
variant(
  'rules.duplicated-run',
  'pytest-host',
  PYTEST,
  PYTEST_PROBES[1],
  'the suite ran twice, the second time the failing test passed (the last line of an id wins)',
  (log) => log.replace('+ ROLLOUT_TEST_EXIT_CODE=1', `PASSED ${calc('test_add_fails')}\n+ ROLLOUT_TEST_EXIT_CODE=1`),
);
variant(
  'rules.duplicated-run-reverse',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  'a passing test reported again as FAILED later in the log',
  (log) => log.replace('+ ROLLOUT_TEST_EXIT_CODE=1', `FAILED ${calc('test_add')} - flaky\n+ ROLLOUT_TEST_EXIT_CODE=1`),
);
variant('rules.no-patch', 'pytest-host', PYTEST, ALL_PASS, 'a prediction without a patch', undefined, {
  patchIsNone: true,
});
variant(
  'rules.infra-oom',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  'the test process was killed for memory and the log has no markers',
  (log) => `${log.split('>>>>> Start Test Output')[0]}Killed\n`,
);
variant(
  'rules.infra-module-missing',
  'pytest-collection-error',
  PYTEST,
  { failToPass: ['tests/test_broken.py::test_shelf'], passToPass: [] },
  'a missing module, and the end marker lost',
  (log) => log.replaceAll('>>>>> End Test Output', 'end'),
);
variant(
  'rules.infra-docker',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  'the container went away during the run',
  () => 'Error response from daemon: container 3f2a is not running\n',
);
variant(
  'rules.timeout-text',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  "the harness's timeout note after a log cut short",
  (log) =>
    `${truncated('==================================== PASSES')(log).replaceAll('>>>>> End Test Output', 'x')}\n\nTimeout error: 1800 seconds exceeded.`,
);
variant('rules.empty-log', 'pytest-host', PYTEST, ALL_PASS, 'an empty test output', () => '');

// ---------------------------------------------------------------------------------------------------------
// unittest and Django's runner (the django parser), sympy's bin/test.

const VENV_BIN = `${process.env.PARITY_VENV ?? '/tmp/grading-tools/venv'}/bin:`;
const DJANGO = { repo: 'django/django', version: '5.0', logParser: 'django' };
const DJANGO_OLD = { repo: 'django/django', version: '3.2', logParser: 'django' };
const inventory = (name: string, cls = 'InventoryTests') => `${name} (tests.test_inventory.${cls}.${name})`;

runWithProbes(
  {
    id: 'unittest-image',
    what: 'python -m unittest -v in the python image: docstrings, skips, expected failures, subtests, output',
    suite: 'unittest-calc',
    testFiles: ['tests/test_inventory.py'],
    image: 'python',
    testCommand: 'python3 -m unittest -v tests.test_inventory',
  },
  [DJANGO, DJANGO_OLD],
  [
    {
      name: 'all-pass',
      failToPass: [inventory('test_add')],
      passToPass: ['A test whose docstring is printed in place of its name.'],
    },
    { name: 'fails-and-errors', failToPass: [inventory('test_fails'), inventory('test_errors')], passToPass: [] },
    { name: 'header-names', failToPass: ['test_fails', 'test_errors'], passToPass: [inventory('test_add')] },
    { name: 'skipped', failToPass: [inventory('test_add')], passToPass: [inventory('test_skipped')] },
    { name: 'expected-failure', failToPass: [inventory('test_expected_failure')], passToPass: [] },
    { name: 'unexpected-success', failToPass: [inventory('test_unexpected_success')], passToPass: [] },
    { name: 'output-before-ok', failToPass: [inventory('test_prints')], passToPass: [] },
    { name: 'subtests', failToPass: [inventory('test_subtests')], passToPass: [] },
    { name: 'docstring-ok', failToPass: ['OK means passed', '--version is equivalent to version'], passToPass: [] },
  ],
);

const shop = (name: string, cls: string) => `${name} (shop.tests.${cls}.${name})`;
runWithProbes(
  {
    id: 'django-runner',
    what: "Django 5.2's test runner at verbosity 2 (tests/runtests.py), module labels from the test patch",
    suite: 'django-app',
    testFiles: ['tests/shop/tests.py', 'tests/accounts/tests.py'],
    path: VENV_BIN,
    testCommand: './tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 {test_modules}',
  },
  [DJANGO],
  [
    {
      name: 'all-pass',
      failToPass: [shop('test_create', 'ItemTests'), 'Prices keep two decimal places.'],
      passToPass: [shop('test_ok_view', 'ViewTests'), 'test_create_user (accounts.tests.UserTests.test_create_user)'],
    },
    {
      name: 'failing',
      failToPass: [shop('test_wrong_total', 'ItemTests')],
      passToPass: [shop('test_create', 'ItemTests')],
    },
    {
      name: 'skip-and-xfail',
      failToPass: [shop('test_checkout', 'ItemTests'), shop('test_known_bug', 'ItemTests')],
      passToPass: [],
    },
    {
      name: 'output-and-500',
      failToPass: [shop('test_prints_output', 'ViewTests'), shop('test_broken_view_is_500', 'ViewTests')],
      passToPass: [],
    },
    {
      name: 'error-and-subtests',
      failToPass: [shop('test_error', 'PlainTests')],
      passToPass: [shop('test_subtests', 'PlainTests')],
    },
    { name: 'multi-line-docstring', failToPass: ['An inactive user cannot log in.'], passToPass: [] },
    { name: 'old-style-ids', failToPass: ['test_create (shop.tests.ItemTests)'], passToPass: [] },
  ],
);
variant(
  'django.interrupted-ok',
  'django-runner',
  DJANGO,
  { failToPass: [shop('test_create', 'ItemTests'), shop('test_ok_view', 'ViewTests')], passToPass: [] },
  "Django's own messages between a test's name and its ok, as the harness knows them",
  (log) =>
    log
      .replace(
        `${shop('test_create', 'ItemTests')} ... ok`,
        `${shop('test_create', 'ItemTests')} ... System check identified no issues (0 silenced)\nok`,
      )
      .replace(
        `${shop('test_ok_view', 'ViewTests')} ... ok`,
        `${shop('test_ok_view', 'ViewTests')} ... Internal Server Error: /ok/\nok`,
      ),
);
variant(
  'django.crlf',
  'django-runner',
  DJANGO,
  { failToPass: [shop('test_create', 'ItemTests')], passToPass: [shop('test_wrong_total', 'ItemTests')] },
  "Django's log with CRLF line endings",
  crlf,
);

const arith = (name: string) => name;
runWithProbes(
  {
    id: 'sympy-bin-test',
    what: "sympy's test runner (bin/test -C --verbose) on two test files",
    suite: 'sympy-demo',
    testFiles: ['sympy/core/tests/test_arith.py', 'sympy/core/tests/test_other.py'],
    path: VENV_BIN,
    testCommand: "PYTHONWARNINGS='ignore::UserWarning,ignore::SyntaxWarning' bin/test -C --verbose {test_files}",
  },
  [{ repo: 'sympy/sympy', version: '1.9', logParser: 'sympy' }],
  [
    {
      name: 'all-pass',
      failToPass: [arith('test_rational_add'), arith('test_raises_value_error')],
      passToPass: [arith('test_expand')],
    },
    { name: 'failing', failToPass: [arith('test_derivative_wrong')], passToPass: [arith('test_rational_add')] },
    { name: 'error', failToPass: [arith('test_unexpected_error')], passToPass: [] },
    {
      name: 'xfail-xpass-skip',
      failToPass: [arith('test_known_limitation'), arith('test_xfail_that_passes')],
      passToPass: [arith('test_needs_gmpy')],
    },
    { name: 'last-test-of-a-file', failToPass: [arith('test_trig_identity'), arith('test_expand')], passToPass: [] },
    {
      name: 'failure-header-ids',
      failToPass: ['sympy/core/tests/test_arith.py:test_derivative_wrong'],
      passToPass: [],
    },
  ],
);

// ---------------------------------------------------------------------------------------------------------
// Go, Rust

const GIN = { repo: 'gin-gonic/gin', version: '4003', logParser: 'gotest' };
const HUGO = { repo: 'gohugoio/hugo', version: '12768', logParser: 'gotest' };
const GO_PROBES: Probe[] = [
  { name: 'all-pass', failToPass: ['TestAdd', 'TestAddTable/small_numbers'], passToPass: ['TestLogs', 'TestInt'] },
  { name: 'subtest-fails', failToPass: ['TestAddTable/wrong_on_purpose'], passToPass: ['TestAdd'] },
  { name: 'parent-of-failing-subtest', failToPass: ['TestAddTable'], passToPass: [] },
  { name: 'skipped', failToPass: ['TestDivSkipped'], passToPass: ['TestNested/outer/inner'] },
  { name: 'panic', failToPass: ['TestIntPanics'], passToPass: ['TestNeverRuns'] },
  { name: 'nested', failToPass: ['TestNested', 'TestNested/outer'], passToPass: [] },
];
runWithProbes(
  {
    id: 'go-test-v',
    what: 'go test -v ./... in the go image: subtests, skip, logs, a panic',
    suite: 'go-calc',
    testFiles: ['calc/calc_test.go', 'parse/parse_test.go'],
    image: 'go',
    testCommand: 'GOCACHE=/tmp/gocache GOFLAGS=-mod=mod go test -v ./...',
  },
  [GIN, HUGO],
  GO_PROBES,
);
runWithProbes(
  {
    id: 'go-test-run',
    what: "gin's command: go test -v with -run on one package",
    suite: 'go-calc',
    testFiles: ['calc/calc_test.go'],
    image: 'go',
    testCommand: 'GOCACHE=/tmp/gocache go test -v ./calc -run "^TestAdd"',
  },
  [GIN],
  GO_PROBES.slice(0, 3),
);
variant('go.crlf', 'go-test-v', GIN, GO_PROBES[0], 'go test -v output with CRLF line endings', crlf);

// The toolchain lives under the real HOME; the script runs with a scratch one.
const CARGO_ENV = {
  RUST_BACKTRACE: '0',
  CARGO_TERM_COLOR: 'never',
  RUSTUP_HOME: process.env.RUSTUP_HOME ?? `${process.env.HOME}/.rustup`,
  CARGO_HOME: process.env.CARGO_HOME ?? `${process.env.HOME}/.cargo`,
};
const RIPGREP = { repo: 'burntsushi/ripgrep', version: '2576', logParser: 'cargo' };
const TOKIO = { repo: 'tokio-rs/tokio', version: '6838', logParser: 'cargo' };
const CARGO_PROBES: Probe[] = [
  { name: 'all-pass', failToPass: ['tests::adds', 'tests::nested::deep'], passToPass: ['integration_add'] },
  { name: 'failing', failToPass: ['tests::adds_wrong'], passToPass: ['tests::adds'] },
  { name: 'should-panic-and-ignored', failToPass: ['tests::div_by_zero_panics'], passToPass: ['tests::slow_test'] },
  { name: 'doc-tests', failToPass: ['src/lib.rs - add (line 6)'], passToPass: [] },
  { name: 'integration-fails', failToPass: ['integration_div_fails'], passToPass: [] },
];
runWithProbes(
  {
    id: 'cargo-test',
    what: 'cargo test --no-fail-fast: unit, integration and doc tests',
    suite: 'cargo-calc',
    testFiles: ['tests/integration.rs'],
    env: CARGO_ENV,
    testCommand: 'cargo test --offline --no-fail-fast',
  },
  [RIPGREP, TOKIO],
  CARGO_PROBES,
);
runWithProbes(
  {
    id: 'cargo-test-stops',
    what: 'cargo test without --no-fail-fast: the failing library tests stop the run',
    suite: 'cargo-calc',
    testFiles: ['tests/integration.rs'],
    env: CARGO_ENV,
    testCommand: 'RUSTFLAGS=-Awarnings cargo test --offline',
  },
  [RIPGREP],
  CARGO_PROBES,
);

// ---------------------------------------------------------------------------------------------------------
// JavaScript and TypeScript

const JEST = {
  suite: 'jest-calc',
  testFiles: ['__tests__/calc.test.js', '__tests__/other.test.js', '__tests__/broken.test.js'],
  nodeModules: 'PARITY_NODE_MODULES' as const,
};
runWithProbes(
  {
    id: 'jest-verbose',
    what: 'jest --verbose: nested describes, skip, todo, a suite that fails to run',
    ...JEST,
    testCommand: 'npx jest --verbose',
  },
  [
    { repo: 'babel/babel', version: '16130', logParser: 'jest' },
    { repo: 'facebook/docusaurus', version: '9897', logParser: 'jest' },
    { repo: 'immutable-js/immutable-js', version: '2006', logParser: 'immutable_js', number: '2006' },
  ],
  [
    { name: 'all-pass', failToPass: ['adds negative numbers', 'concatenates'], passToPass: ['slow test'] },
    { name: 'failing', failToPass: ['is wrong on purpose'], passToPass: ['splits on spaces'] },
    { name: 'same-title-twice', failToPass: ['adds small numbers'], passToPass: [] },
    { name: 'skipped-and-todo', failToPass: ['skipped handles bigints', 'todo handles floats'], passToPass: [] },
    { name: 'parentheses-in-title', failToPass: ['top-level test (with parentheses)'], passToPass: [] },
    { name: 'suite-failed-to-run', failToPass: ['never runs'], passToPass: [] },
  ],
);
runWithProbes(
  {
    id: 'jest-json-jq',
    what: "jest --json turned into `[STATUS] describe > title` lines by immutable-js's jq filter",
    ...JEST,
    testCommand:
      'npx jest --silent --json | jq -r \'.testResults[].assertionResults[] | "[" + (.status | ascii_upcase) + "] " + ((.ancestorTitles | join(" > ")) + (if .ancestorTitles | length > 0 then " > " else "" end) + .title)\'',
  },
  [{ repo: 'immutable-js/immutable-js', version: '2005', logParser: 'immutable_js', number: '2005' }],
  [
    {
      name: 'all-pass',
      failToPass: ['add > adds small numbers', 'add > with strings > concatenates'],
      passToPass: ['slow test'],
    },
    { name: 'failing', failToPass: ['add > is wrong on purpose'], passToPass: ['words > adds small numbers'] },
    { name: 'pending', failToPass: ['add > handles bigints'], passToPass: [] },
  ],
);
runWithProbes(
  {
    id: 'jest-files',
    what: 'jest without --verbose: one PASS/FAIL line per test file',
    ...JEST,
    testCommand: './node_modules/.bin/jest --no-color',
  },
  [
    { repo: 'diegomura/react-pdf', version: '2.0', logParser: 'react_pdf' },
    { repo: 'carbon-design-system/carbon', version: '11', logParser: 'carbon' },
    { repo: 'grommet/grommet', version: '2', logParser: 'grommet' },
    { repo: 'GoogleChrome/lighthouse', version: '11.0', logParser: 'lighthouse' },
  ],
  [
    { name: 'files', failToPass: ['__tests__/other.test.js'], passToPass: [] },
    {
      name: 'failing-file',
      failToPass: ['__tests__/calc.test.js', '__tests__/broken.test.js'],
      passToPass: ['__tests__/other.test.js'],
    },
    { name: 'file-with-duration', failToPass: ['__tests__/calc.test.js (5.246 s)'], passToPass: [] },
  ],
  { harnessVersions: [5] },
);
runWithProbes(
  {
    id: 'jest-calypso',
    what: "jest --verbose run as Calypso's command line: one file that passes, then one with a failure",
    ...JEST,
    testCommand:
      './node_modules/.bin/jest --verbose __tests__/other.test.js; ./node_modules/.bin/jest --verbose __tests__/calc.test.js',
  },
  [{ repo: 'Automattic/wp-calypso', version: '1', logParser: 'calypso' }],
  [
    {
      name: 'all-pass',
      failToPass: ['- slow test (298 ms)', 'add - adds negative numbers'],
      passToPass: ['- top-level test (with parentheses)'],
    },
    {
      name: 'nested-blocks',
      failToPass: ['add - with strings - concatenates (1 ms)'],
      passToPass: ['words - splits on spaces (1 ms)'],
    },
    { name: 'failing', failToPass: ['add - is wrong on purpose (368 ms)'], passToPass: [] },
    { name: 'skipped-is-not-read', failToPass: ['add - skipped handles bigints'], passToPass: [] },
  ],
  { harnessVersions: [5] },
);
runWithProbes(
  {
    id: 'vitest-verbose',
    what: 'vitest run --reporter=verbose',
    suite: 'vitest-calc',
    testFiles: ['test/calc.spec.js'],
    nodeModules: 'PARITY_NODE_MODULES',
    testCommand: 'npx vitest run test/calc.spec.js --reporter=verbose',
  },
  [{ repo: 'vuejs/core', version: '11899', logParser: 'vitest' }],
  [
    {
      name: 'all-pass',
      failToPass: ['test/calc.spec.js > add > adds', 'test/calc.spec.js > add > nested block > deep test'],
      passToPass: ['test/calc.spec.js > top level'],
    },
    { name: 'failing', failToPass: ['test/calc.spec.js > add > is wrong on purpose'], passToPass: [] },
    { name: 'skipped', failToPass: ['test/calc.spec.js > add > skipped for now'], passToPass: [] },
  ],
);
const MOCHA = {
  suite: 'mocha-calc',
  testFiles: ['test/calc.js', 'tests/run.js'],
  nodeModules: 'PARITY_NODE_MODULES' as const,
};
runWithProbes(
  { id: 'mocha-spec', what: "mocha's spec reporter (highlight.js)", ...MOCHA, testCommand: 'npx mocha test/calc.js' },
  [{ repo: 'highlightjs/highlight.js', version: '11', logParser: 'highlightjs' }],
  [
    {
      name: 'all-pass',
      failToPass: ['javascript.highlights keywords', 'python.highlights decorators'],
      passToPass: ['compression.should support gzip'],
    },
    { name: 'failing', failToPass: ['javascript.is wrong on purpose'], passToPass: [] },
    {
      name: 'durations',
      failToPass: ['javascript.takes a while'],
      passToPass: ['markup.javascript.highlights keywords'],
    },
  ],
  { harnessVersions: [5] },
);
/** Tests of the mocha suite by their JSON reporter's full titles. */
const MOCHA_JSON_PROBES: Probe[] = [
  {
    name: 'all-pass',
    failToPass: ['markup javascript highlights keywords'],
    passToPass: ['compression should support gzip'],
  },
  {
    name: 'failing-and-pending',
    failToPass: ['markup javascript is wrong on purpose', 'markup python highlights f-strings'],
    passToPass: [],
  },
];
const LIGHTHOUSE = { repo: 'GoogleChrome/lighthouse', logParser: 'lighthouse' };
runWithProbes(
  {
    id: 'mocha-lighthouse',
    what: "mocha's spec reporter after the `running N test files` line of Lighthouse's runner (echoed here)",
    ...MOCHA,
    testCommand: "echo 'running 1 test files'; npx mocha test/calc.js",
  },
  [{ ...LIGHTHOUSE, version: '10.0' }],
  [
    {
      name: 'all-pass',
      failToPass: ['markup - javascript - highlights keywords', 'markup - python - highlights decorators'],
      passToPass: ['compression - should support gzip'],
    },
    {
      name: 'failing',
      failToPass: ['markup - javascript - is wrong on purpose', 'compression - should support brotli'],
      passToPass: [],
    },
    { name: 'duration-dropped', failToPass: ['markup - javascript - takes a while'], passToPass: [] },
    { name: 'pending-opens-a-block', failToPass: ['markup - python - highlights f-strings'], passToPass: [] },
  ],
  { harnessVersions: [5] },
);
runWithProbes(
  {
    id: 'mocha-json-lighthouse',
    what: "mocha's JSON reporter as Lighthouse 2 ran it",
    ...MOCHA,
    testCommand: './node_modules/.bin/mocha --reporter json test/calc.js',
  },
  [{ ...LIGHTHOUSE, version: '2.0' }],
  MOCHA_JSON_PROBES,
  { harnessVersions: [5] },
);
variant(
  'mocha-json-lighthouse.version-not-a-number',
  'mocha-json-lighthouse',
  { ...LIGHTHOUSE, version: 'next' },
  { failToPass: ['markup javascript highlights keywords'], passToPass: [] },
  'the same log for a task whose version is no number',
  undefined,
  { harnessVersions: [5] },
);
runWithProbes(
  {
    id: 'mocha-tap',
    what: "mocha's TAP reporter (axios's command)",
    ...MOCHA,
    testCommand: "npx mocha test/calc.js -R tap -g 'compression'",
  },
  [{ repo: 'axios/axios', version: '5892', logParser: 'tap' }],
  [
    { name: 'all-pass', failToPass: ['compression should support gzip'], passToPass: [] },
    {
      name: 'failing',
      failToPass: ['compression should support brotli'],
      passToPass: ['compression should support gzip'],
    },
  ],
);
runWithProbes(
  {
    id: 'mocha-tap-all',
    what: "mocha's TAP reporter, whole file: a skipped test's directive stays in its name",
    ...MOCHA,
    testCommand: 'npx mocha test/calc.js -R tap',
  },
  [{ repo: 'axios/axios', version: '6539', logParser: 'tap' }],
  [
    {
      name: 'skip-directive',
      failToPass: ['markup python highlights f-strings # SKIP -'],
      passToPass: ['markup javascript highlights keywords'],
    },
    { name: 'skip-bare-name', failToPass: ['markup python highlights f-strings'], passToPass: [] },
  ],
);
runWithProbes(
  {
    id: 'qunit-tap',
    what: "QUnit's TAP output (three.js's command)",
    suite: 'qunit-three',
    testFiles: ['test/unit/src/math/Sphere.tests.js'],
    nodeModules: 'PARITY_NODE_MODULES',
    testCommand: 'npx qunit test/unit/src/math/Sphere.tests.js',
  },
  [{ repo: 'mrdoob/three.js', version: '27395', logParser: 'tap' }],
  [
    { name: 'all-pass', failToPass: ['Maths > Sphere > Instancing'], passToPass: [] },
    {
      name: 'failing-skip-todo',
      failToPass: ['Maths > Sphere > isEmpty', 'Maths > Sphere > union # TODO'],
      passToPass: ['Maths > Sphere > intersectsPlane # SKIP'],
    },
  ],
);
runWithProbes(
  {
    id: 'mocha-json',
    what: "mocha's JSON reporter (Prism's command)",
    ...MOCHA,
    testCommand: './node_modules/.bin/mocha tests/run.js --reporter json',
  },
  [{ repo: 'PrismJS/prism', version: '1', logParser: 'prismjs' }],
  MOCHA_JSON_PROBES,
  { harnessVersions: [5] },
);
runWithProbes(
  {
    id: 'mocha-min',
    what: "mocha's min reporter (ESLint, graded FAIL_ONLY)",
    ...MOCHA,
    testCommand: 'npx mocha -R min test/calc.js',
  },
  [{ repo: 'eslint/eslint', version: '9', logParser: 'eslint', evalType: 'fail_only' }],
  [
    {
      name: 'failures-only',
      failToPass: ['markup javascript is wrong on purpose:', 'compression should support gzip'],
      passToPass: [],
    },
    { name: 'clean', failToPass: ['compression should support gzip'], passToPass: ['anything else'] },
  ],
  { harnessVersions: [5] },
);
runWithProbes(
  {
    id: 'jasmine',
    what: "jasmine's default reporter (marked, graded FAIL_ONLY)",
    suite: 'jasmine-marked',
    testFiles: ['test/specs/commonmark.js'],
    nodeModules: 'PARITY_NODE_MODULES',
    testCommand: './node_modules/.bin/jasmine --no-color --config=jasmine.json',
  },
  [{ repo: 'markedjs/marked', version: '5.0', logParser: 'marked', evalType: 'fail_only' }],
  [
    {
      name: 'failures',
      failToPass: ['Marked Commonmark Tabs should pass example 2', 'Marked Commonmark Tabs should pass example 1'],
      passToPass: ['Marked New should pass nested_code'],
    },
    { name: 'not-listed', failToPass: ['Marked Commonmark Tabs should pass example 1'], passToPass: [] },
  ],
);
/** A run whose runner cannot run here: `tool` prints the hand-written output in sources/handwritten/<folder>. */
function standInRun(id: string, folder: string, what: string, tool: string, testCommand: string) {
  return { id, what, suite: 'stand-in', testFiles: ['test/changed.test'], standIns: { [tool]: folder }, testCommand };
}
runWithProbes(
  standInRun(
    'karma-preact',
    'karma-preact',
    'karma with the mocha reporter (preact)',
    'npx',
    'COVERAGE=false BABEL_NO_MODULES=true npx karma start karma.conf.js --single-run --grep="test/browser/render.test.js"',
  ),
  [{ repo: 'preactjs/preact', version: '4436', logParser: 'karma' }],
  [
    {
      name: 'all-pass',
      failToPass: [
        'render() > should render a empty text node given null',
        'Components > should render functional components',
      ],
      passToPass: [],
    },
    {
      name: 'failing',
      failToPass: ['render() > should render a boolean as an empty text node'],
      passToPass: ['render() > svg > should render svg elements'],
    },
    {
      name: 'after-nested-block',
      failToPass: ['render() > should clear falsy attributes', 'render() > svg > should keep the xlink namespace'],
      passToPass: [],
    },
  ],
);
runWithProbes(
  standInRun(
    'karma-chartjs',
    'karma-chartjs',
    "Chart.js's karma run with colour codes (FAIL_ONLY)",
    'npx',
    'npx gulp test',
  ),
  [{ repo: 'chartjs/Chart.js', version: '4.4', logParser: 'chart_js', evalType: 'fail_only' }],
  [
    {
      name: 'failures',
      failToPass: ['Chart.controllers.line should draw all elements ', 'Chart.controllers.line should update elements'],
      passToPass: [],
    },
    { name: 'exact-ids', failToPass: ['Chart.controllers.line should draw all elements'], passToPass: [] },
  ],
);
VARIANTS.push({
  id: 'karma-chartjs.clean-run',
  from: 'karma-chartjs',
  instance: instance({
    repo: 'chartjs/Chart.js',
    version: '4.4',
    logParser: 'chart_js',
    evalType: 'fail_only',
    failToPass: ['Chart.controllers.line should draw all elements'],
    passToPass: [],
  }),
  what: 'a clean karma run: no failure lines, and a summary that shows the suite ran',
  transform: (log) =>
    log
      .replace(
        /\+ npx gulp test\n[\s\S]*?\+ ROLLOUT_TEST_EXIT_CODE=1/,
        `+ npx gulp test\n${readHandwritten('karma-chartjs/2.out')}+ ROLLOUT_TEST_EXIT_CODE=0`,
      )
      .replace(/Test Exit Code: 1/g, 'Test Exit Code: 0'),
});
runWithProbes(
  standInRun(
    'karma-openlayers',
    'karma-openlayers',
    "OpenLayers' karma, mocha and rendering runs (FAIL_ONLY)",
    'npm',
    'npm test',
  ),
  [{ repo: 'openlayers/openlayers', version: '10', logParser: 'openlayers', evalType: 'fail_only' }],
  [
    {
      name: 'failures',
      failToPass: [
        'ol/source/Vector #loadFeatures loads features from the url',
        'ol/format/WKT #readGeometry reads a point with spaces:',
        'heatmap-layer',
      ],
      passToPass: ['icon-symbol'],
    },
  ],
  { harnessVersions: [5] },
);
runWithProbes(
  standInRun('karma-bpmn', 'karma-bpmn', "bpmn-js's karma run (FAIL_ONLY)", 'npm', 'npm test'),
  [{ repo: 'bpmn-io/bpmn-js', version: '17', logParser: 'bpmn_js', evalType: 'fail_only' }],
  [
    {
      name: 'failures',
      failToPass: [
        'features/modeling - #removeShape should remove shape from parent ',
        'features/modeling - #moveShape should move label',
      ],
      passToPass: [],
    },
  ],
  { harnessVersions: [5] },
);

// ---------------------------------------------------------------------------------------------------------
// Ruby, PHP, Java, C and C++

const sites = (name: string) => `TestSite#test_: static files should ${name}`;
runWithProbes(
  {
    id: 'minitest',
    what: "minitest -v with shoulda-style names (jekyll's command)",
    suite: 'ruby-minitest',
    testFiles: ['test/test_site.rb'],
    testCommand: 'ruby -I lib -I test test/test_site.rb -v -n "/static files/"',
  },
  [
    { repo: 'jekyll/jekyll', version: '9141', logParser: 'jekyll', number: '9141' },
    { repo: 'jekyll/jekyll', version: '8047', logParser: 'minitest', number: '8047' },
  ],
  [
    { name: 'all-pass', failToPass: [sites('be listed')], passToPass: [] },
    {
      name: 'failing-and-error',
      failToPass: [sites('be sorted'), sites('not raise')],
      passToPass: [sites('be listed')],
    },
    { name: 'skipped', failToPass: [sites('be skipped on windows')], passToPass: [] },
  ],
);
runWithProbes(
  {
    id: 'cucumber-progress',
    what: "cucumber --format progress (jekyll's command): dots only, no scenario names",
    suite: 'cucumber-jekyll',
    testFiles: ['features/post_data.feature'],
    testCommand: 'cucumber --format progress --no-color features/post_data.feature:5 features/post_data.feature:10',
  },
  [{ repo: 'jekyll/jekyll', version: '8761', logParser: 'jekyll', number: '8761' }],
  [{ name: 'scenarios', failToPass: ['Use post.title variable'], passToPass: [] }],
);
runWithProbes(
  {
    id: 'test-unit',
    what: "test-unit -v with sub test cases (fluentd's command)",
    suite: 'ruby-test-unit',
    testFiles: ['test/test_http_server.rb'],
    testCommand: "ruby test/test_http_server.rb -v -n '/mount/'",
  },
  [
    { repo: 'fluent/fluentd', version: '4655', logParser: 'ruby_unit' },
    { repo: 'faker-ruby/faker', version: '2970', logParser: 'ruby_unit' },
  ],
  [
    { name: 'all-pass', failToPass: ['test_mount_plain', 'mounts a handler'], passToPass: ['test_unmount'] },
    {
      name: 'failing-error-omitted',
      failToPass: ['mount rejects a bad path', 'mount raises'],
      passToPass: ['mount is omitted on windows'],
    },
  ],
);
const RSPEC = { suite: 'ruby-rspec', testFiles: ['spec/zip_spec.rb'] };
runWithProbes(
  {
    id: 'rspec-fpm',
    what: "rspec --format json turned into lines by fpm's jq filter",
    ...RSPEC,
    testCommand:
      "rspec spec/zip_spec.rb --no-color --format json | sed -n '/^{/,$p' | jq -r '.examples[] | \"\\(.description) - \\(.status)\"'",
  },
  [{ repo: 'jordansissel/fpm', version: '1850', logParser: 'rspec_transformed_json' }],
  [
    { name: 'all-pass', failToPass: ['zips a folder'], passToPass: [] },
    {
      name: 'failing-and-pending',
      failToPass: ['keeps symlinks - when asked to', 'supports passwords'],
      passToPass: ['is pending'],
    },
  ],
);
runWithProbes(
  {
    id: 'rspec-fastlane',
    what: "rspec --format json turned into lines by fastlane's jq filter, ids included",
    ...RSPEC,
    testCommand:
      'rspec ./spec/zip_spec.rb --no-color --format json | tail -n +1 | jq -r \'.examples[] | "\\(.description) - \\(.id) - \\(.status)"\'',
  },
  [{ repo: 'fastlane/fastlane', version: '21857', logParser: 'rspec_transformed_json' }],
  [
    {
      name: 'with-ids',
      failToPass: ['zips a folder - ./spec/zip_spec.rb[1:1]', 'zips a folder - ./spec/zip_spec.rb[1:5:1]'],
      passToPass: [],
    },
    { name: 'failing', failToPass: ['supports passwords - ./spec/zip_spec.rb[1:3]'], passToPass: [] },
  ],
);
const roundDown = (name: string, suite = 'None') => `${suite} > ${name}`;
runWithProbes(
  {
    id: 'phpunit9-testdox',
    what: 'PHPUnit 9 --testdox: class headings without the class name in parentheses',
    suite: 'phpunit-calc',
    testFiles: ['tests/RoundDownTest.php'],
    testCommand: './vendor/bin/phpunit --testdox --colors=never tests/RoundDownTest.php',
  },
  [{ repo: 'phpoffice/phpspreadsheet', version: '4313', logParser: 'phpunit' }],
  [
    {
      name: 'all-pass',
      failToPass: [roundDown('Rounds down positive numbers')],
      passToPass: [roundDown('Round down with provider with data set "positive"')],
    },
    { name: 'failing', failToPass: [roundDown('Rounds down negative numbers'), roundDown('Throws')], passToPass: [] },
    { name: 'skipped', failToPass: [roundDown('Skipped')], passToPass: [] },
    {
      name: 'with-class-heading',
      failToPass: [roundDown('Rounds down positive numbers', 'Round Down')],
      passToPass: [],
    },
  ],
);
const connections = (name: string) => `Database Connections > ${name}`;
runWithProbes(
  {
    id: 'phpunit10-testdox',
    what: "PHPUnit 10 --testdox (laravel's command), from a real run's output",
    suite: 'phpunit10-laravel',
    testFiles: ['tests/Integration/Database/DatabaseConnectionsTest.php'],
    testCommand: 'vendor/bin/phpunit --testdox --colors=never tests/Integration/Database/DatabaseConnectionsTest.php',
  },
  [{ repo: 'laravel/framework', version: '53914', logParser: 'phpunit' }],
  [
    {
      name: 'all-pass',
      failToPass: [connections('Build database connection')],
      passToPass: [connections('Dynamic connection with schema (with data set "mysql")')],
    },
    {
      name: 'failing-skipped',
      failToPass: [connections('Throw exception if connection already exists')],
      passToPass: [connections('Sqlite connection without file')],
    },
    {
      name: 'second-class',
      failToPass: ['Database Connection Factory > Read write connections are resolved'],
      passToPass: ['Database Connection Factory > Connection can be created'],
    },
  ],
);
const primitive = (name: string) => `com.google.gson.functional.PrimitiveTest#${name}`;
const GSON_COMMAND = ['Byte', 'Short', 'Int', 'Long']
  .map((type) => `mvnd test -B -T 1C -pl gson -Dtest=${primitive(`test${type}Serialization`)}`)
  .join('\n');
runWithProbes(
  { ...standInRun('maven', 'maven-gson', "maven, one test per command (gson's command)", 'mvnd', GSON_COMMAND) },
  [
    { repo: 'google/gson', version: '2479', logParser: 'maven' },
    { repo: 'apache/druid', version: '15402', logParser: 'maven' },
  ],
  [
    {
      name: 'all-pass',
      failToPass: [primitive('testByteSerialization'), primitive('testIntSerialization')],
      passToPass: [primitive('testLongSerialization')],
    },
    { name: 'failing', failToPass: [primitive('testShortSerialization')], passToPass: [] },
  ],
);
variant(
  'maven.interleaved',
  'maven',
  { repo: 'google/gson', version: '2479', logParser: 'maven' },
  {
    failToPass: [primitive('testByteSerialization'), primitive('testShortSerialization')],
    passToPass: [primitive('testIntSerialization')],
  },
  'two commands traced before their outputs (shell trace and Maven output interleaved)',
  (log) => {
    const lines = log.split('\n');
    const traces = lines.filter((line) => line.startsWith('+ mvnd '));
    const rest = lines.filter((line) => !line.startsWith('+ mvnd '));
    const start = rest.findIndex((line) => line.includes('>>>>> Start Test Output')) + 1;
    return [...rest.slice(0, start), ...traces, ...rest.slice(start)].join('\n');
  },
);
runWithProbes(
  {
    id: 'gradle',
    what: "gradle test with the harness's per-test logging (lucene): names and outcomes split by warnings",
    suite: 'gradle-lucene',
    testFiles: ['gradle-test-output.txt', 'gradlew'],
    testCommand: './gradlew test --tests org.apache.lucene.facet.TestStringValueFacetCounts',
  },
  [
    { repo: 'apache/lucene', version: '13704', logParser: 'gradle_custom' },
    { repo: 'reactivex/rxjava', version: '7597', logParser: 'gradle_custom' },
  ],
  [
    {
      name: 'all-pass',
      failToPass: ['org.apache.lucene.facet.TestStringValueFacetCounts > testBasicSingleValued'],
      passToPass: ['org.apache.lucene.facet.TestStringValueFacetCounts > testSparseMultiSegmentCase'],
    },
    {
      name: 'failing',
      failToPass: ['org.apache.lucene.facet.TestStringValueFacetCounts > testBasicMultiValued'],
      passToPass: [],
    },
    {
      name: 'split-lines',
      failToPass: ['org.apache.lucene.facet.TestStringValueFacetCounts > testRandomSingleValued'],
      passToPass: ['org.apache.lucene.facet.TestStringValueFacetCounts > testEmptyCounts'],
    },
    {
      name: 'skipped',
      failToPass: ['org.apache.lucene.facet.TestStringValueFacetCounts > testStaleState'],
      passToPass: [],
    },
  ],
);
runWithProbes(
  standInRun(
    'ant',
    'ant-lombok',
    "ant's JUnit task with one line per test (lombok's command)",
    'ant',
    'ant test.instance',
  ),
  [{ repo: 'projectlombok/lombok', version: '3602', logParser: 'ant' }],
  [
    { name: 'all-pass', failToPass: ['checkBuilderSimple(lombok.transform.TestWithDelombok)'], passToPass: [] },
    {
      name: 'fail-and-error',
      failToPass: [
        'checkValueArgs(lombok.transform.TestWithDelombok)',
        'checkWithByTypes(lombok.transform.TestWithDelombok)',
      ],
      passToPass: [],
    },
  ],
);
runWithProbes(
  {
    id: 'googletest-ctest',
    what: "GoogleTest through ctest -V (fmt's command): skips, disabled and parameterized tests",
    suite: 'googletest-calc',
    testFiles: ['test/ranges-test.cc'],
    build: [
      'mkdir -p build',
      'cmake -B build -S . > /dev/null',
      'cmake --build build --parallel 2 --target ranges-test > /dev/null',
    ],
    testCommand: 'ctest --test-dir build -V -R ranges-test',
  },
  [{ repo: 'fmtlib/fmt', version: '3863', logParser: 'googletest' }],
  [
    { name: 'all-pass', failToPass: ['ranges_test.format_array', 'numbers/ParamTest.is_small/0'], passToPass: [] },
    { name: 'failing', failToPass: ['ranges_test.format_vector_wrong'], passToPass: ['numbers/ParamTest.is_small/1'] },
    {
      name: 'param-failure-name',
      failToPass: ['numbers/ParamTest.is_small/2, where GetParam() = 5', 'numbers/ParamTest.is_small/2'],
      passToPass: [],
    },
    {
      name: 'skipped-disabled',
      failToPass: ['ranges_test.skipped_join', 'ranges_test.DISABLED_format_map'],
      passToPass: [],
    },
  ],
);
runWithProbes(
  {
    id: 'doctest-xml',
    what: "doctest -s -r=xml (nlohmann/json's command): sub-cases, nested ones, XML entities",
    suite: 'doctest-udt',
    testFiles: ['tests/unit-udt.cpp'],
    build: ['make -s'],
    testCommand: './build/tests/test-udt_cpp11 -s -r=xml',
  },
  [{ repo: 'nlohmann/json', version: '4237', logParser: 'doctest' }],
  [
    {
      name: 'all-pass',
      failToPass: ['basic usage > conversion to json', 'adl_serializer specialization > partial specialization'],
      passToPass: [],
    },
    { name: 'failing', failToPass: ['basic usage > conversion from json & back'], passToPass: [] },
    {
      name: 'nested',
      failToPass: ['basic usage > nested <levels>', 'basic usage > inner'],
      passToPass: ['no subcases at all'],
    },
  ],
);
variant(
  'doctest.broken-xml',
  'doctest-xml',
  { repo: 'nlohmann/json', version: '4237', logParser: 'doctest' },
  { failToPass: ['basic usage > conversion to json'], passToPass: [] },
  'the run was cut off inside the XML report',
  (log) => `${log.slice(0, log.indexOf('<TestCase name="adl_serializer'))}\n+ : '>>>>> End Test Output'\n`,
);
runWithProbes(
  standInRun(
    'redis',
    'redis-string',
    "Redis's Tcl test suite (the redis and valkey command)",
    'runtest',
    'TERM=dumb runtest --durable --single unit/type/string',
  ),
  [
    { repo: 'redis/redis', version: '13115', logParser: 'redis' },
    { repo: 'valkey-io/valkey', version: '928', logParser: 'redis' },
  ],
  [
    { name: 'all-pass', failToPass: ['SET and GET an item', 'GETRANGE fuzzing'], passToPass: [] },
    {
      name: 'failing-skip-ignore',
      failToPass: ['SETRANGE against key with wrong type'],
      passToPass: ['SETRANGE with huge offset', 'Not supported in cluster mode'],
    },
    { name: 'with-duration', failToPass: ['SET and GET an item (1 ms)'], passToPass: [] },
  ],
);
runWithProbes(
  standInRun('jq', 'jq-check', "jq's make check (automake's test driver)", 'make', 'make check'),
  [{ repo: 'jqlang/jq', version: '2839', logParser: 'jq' }],
  [
    { name: 'all-pass', failToPass: ['tests/mantest', 'tests/shtest'], passToPass: [] },
    { name: 'failing-skipped', failToPass: ['tests/jqtest'], passToPass: ['tests/base64test'] },
  ],
);
runWithProbes(
  standInRun(
    'micropython',
    'micropython-format',
    "MicroPython's run-tests.py",
    'run-tests.py',
    'run-tests.py -i string_format',
  ),
  [{ repo: 'micropython/micropython', version: '15898', logParser: 'micropython_test' }],
  [
    { name: 'all-pass', failToPass: ['basics/string_format.py', 'float/string_format.py'], passToPass: [] },
    {
      name: 'failing-skipped',
      failToPass: ['basics/string_format_modulo.py'],
      passToPass: ['basics/string_format_cp310.py'],
    },
  ],
);

// Every registry name of the harness read at least once: pytest's other families, and the two parsers that
// the harness otherwise reaches only through an instance dispatch.
for (const family of [
  { repo: 'pylint-dev/astroid', version: '3.0', logParser: 'astroid' },
  { repo: 'marshmallow-code/marshmallow', version: '3.9', logParser: 'marshmallow' },
  { repo: 'pvlib/pvlib-python', version: '0.9', logParser: 'pvlib' },
  { repo: 'pyvista/pyvista', version: '0.43', logParser: 'pyvista' },
  { repo: 'sqlfluff/sqlfluff', version: '2.2', logParser: 'sqlfluff' },
])
  for (const probe of PYTEST_PROBES.slice(0, 5))
    variant(
      `pytest-image.${family.logParser}.${probe.name}`,
      'pytest-image',
      family,
      probe,
      `pytest 7, read as ${family.repo}`,
      undefined,
    );
for (const probe of [
  { failToPass: ['add > adds small numbers'], passToPass: ['slow test'] },
  { failToPass: ['add > is wrong on purpose'], passToPass: [] },
])
  variant(
    `jest-json-jq.jest_json.${probe.failToPass.length}-${probe.passToPass.length}`,
    'jest-json-jq',
    { repo: 'facebook/docusaurus', version: '9897', logParser: 'jest_json' },
    probe,
    "the jq-transformed jest report, named as parse_log_jest_json by the task's dataset",
    undefined,
    { harnessVersions: [5] },
  );
variant(
  'cucumber-progress.cucumber',
  'cucumber-progress',
  { repo: 'jekyll/jekyll', version: '8771', logParser: 'cucumber', number: '8771' },
  { failToPass: ['Use post.url variable'], passToPass: [] },
  "cucumber's progress output, named as parse_log_cucumber by the task's dataset",
  undefined,
);

// ---------------------------------------------------------------------------------------------------------
// SWE-bench Multimodal's other runners: p5.js's mocha suites (FAIL_ONLY), Fusion Next's karma and Cypress
// runs, quarto-cli's Deno tests.
const P5 = { repo: 'processing/p5.js', version: '1.5', logParser: 'p5js', evalType: 'fail_only' as const };
runWithProbes(
  {
    id: 'mocha-p5',
    what: "mocha's spec reporter with colour codes (p5.js-style suites): an object diff's indented `{` hides the rest",
    suite: 'mocha-p5',
    testFiles: ['test/unit/core/rendering.js'],
    nodeModules: 'PARITY_NODE_MODULES',
    testCommand: './node_modules/.bin/mocha --ui tdd --colors test/unit/core/rendering.js',
  },
  [P5],
  [
    {
      name: 'failures-after-an-object-diff',
      failToPass: ['Rendering:p5.prototype.createCanvas:should resize the canvas'],
      passToPass: ['Rendering:p5.prototype.createCanvas:should have correct initial colors'],
    },
    {
      name: 'markup-and-a-colon',
      failToPass: [
        'DOM:p5.Element.prototype.html:should append to the inner HTML',
        'Rendering:webgl assertions:blendMode()',
      ],
      passToPass: [],
    },
  ],
);
runWithProbes(
  {
    id: 'mocha-p5-math',
    what: "mocha's spec reporter with colour codes (p5.js-style suites): nested blocks, logged objects and markup",
    suite: 'mocha-p5',
    testFiles: ['test/unit/math/calculation.js'],
    nodeModules: 'PARITY_NODE_MODULES',
    testCommand: './node_modules/.bin/mocha --ui tdd --colors test/unit/math/calculation.js',
  },
  [P5],
  [
    {
      name: 'failures',
      failToPass: ['Calculation:p5.prototype.abs:should return an absolute value'],
      passToPass: ['Calculation:p5.prototype.abs:should return a number'],
    },
    {
      name: 'all-listed-pass',
      failToPass: ['Calculation:p5.prototype.constrain:should return same number'],
      passToPass: ['Calculation:p5.prototype.map:should extrapolate by default'],
    },
    {
      name: 'after-a-logged-object',
      failToPass: ['Calculation:p5.prototype.constrain:should return upper bound'],
      passToPass: [],
    },
    {
      name: 'nested-block-and-a-colon',
      failToPass: ['Calculation:p5.prototype.map:with clamping:map()'],
      passToPass: ['Calculation:p5.prototype.map:with clamping:map(): should clamp to the range'],
    },
  ],
);
variant(
  'mocha-p5.crlf',
  'mocha-p5-math',
  P5,
  { failToPass: ['Calculation:p5.prototype.abs:should return an absolute value'], passToPass: [] },
  "p5.js's mocha output with CRLF line endings",
  crlf,
);

const NEXT = { repo: 'alibaba-fusion/next', logParser: 'next' };
runWithProbes(
  {
    id: 'karma-next',
    what: "karma's spec reporter in headless Chromium after xvfb-run (Fusion Next): nested blocks, browser logs, a skip",
    suite: 'karma-next',
    testFiles: ['test/button-spec.js', 'test/input-spec.js'],
    nodeModules: 'PARITY_BROWSER_MODULES',
    // xvfb-run (before karma in Fusion Next's command) as a shell function: headless Chromium needs no X display.
    testCommand:
      'xvfb-run() { CHROME_BIN=/usr/bin/chromium "$@"; }\nxvfb-run ./node_modules/.bin/karma start karma.conf.js --single-run',
  },
  [{ ...NEXT, version: '1.25' }],
  [
    {
      name: 'all-pass',
      failToPass: ['Button - render - should render a button', 'Button - behavior - should call onClick'],
      passToPass: ['Input - [render] with addons - should render an inner addon'],
    },
    {
      name: 'failing',
      failToPass: ['Button - render - should render a loading button', 'Button - should be accessible'],
      passToPass: ['Button - behavior - should warn in dev'],
    },
    {
      name: 'skipped-and-block-order',
      failToPass: [
        'Button - behavior - should not call onClick when disabled',
        'Input - should trim the value - on blur',
      ],
      passToPass: [],
    },
    {
      name: 'line-starting-with-in',
      failToPass: ['Input - [render] with addons - in a form item, should take its label'],
      passToPass: [],
    },
  ],
  { harnessVersions: [5] },
);
runWithProbes(
  {
    id: 'karma-next-two-runs',
    what: 'two karma runs after xvfb-run, one spec file each: describe blocks carried from the first into the second',
    suite: 'karma-next',
    testFiles: ['test/button-spec.js', 'test/input-spec.js'],
    nodeModules: 'PARITY_BROWSER_MODULES',
    testCommand:
      'xvfb-run() { CHROME_BIN=/usr/bin/chromium "$@"; }\nSPECS=test/input-spec.js xvfb-run ./node_modules/.bin/karma start karma.conf.js --single-run\nSPECS=test/button-spec.js xvfb-run ./node_modules/.bin/karma start karma.conf.js --single-run',
  },
  [{ ...NEXT, version: '1.25' }],
  [
    {
      name: 'all-pass',
      failToPass: [
        'Input - should trim the value - on blur',
        'Input - [render] with addons - should render an inner addon',
      ],
      passToPass: ['Input - [render] with addons - in a form item, should take its label'],
    },
    {
      name: 'second-run',
      failToPass: ['Button - render - should render a button', 'Button - should be accessible'],
      passToPass: [],
    },
  ],
  { harnessVersions: [5] },
);
variant(
  'karma-next.crlf',
  'karma-next',
  { ...NEXT, version: '1.25' },
  { failToPass: ['Button - render - should render a button'], passToPass: [] },
  "Fusion Next's karma output with CRLF line endings",
  crlf,
  { harnessVersions: [5] },
);
runWithProbes(
  standInRun(
    'cypress-next',
    'cypress-next',
    'Cypress component runs of two specs (Fusion Next 1.27): durations, a pending test, a nested block',
    'npx',
    'npx cypress run --component --spec "components/button/__tests__/index-spec.tsx,components/input/__tests__/index-spec.tsx"',
  ),
  [{ ...NEXT, version: '1.27' }],
  [
    {
      name: 'all-pass',
      failToPass: ['Button: should render', 'Button: should call onClick'],
      passToPass: ['Input: should trim the value (on blur)'],
    },
    {
      name: 'failing',
      failToPass: ['Button: should render a loading button', 'Input: should count characters (maxLength 10)'],
      passToPass: ['Input: should show a clear icon'],
    },
    {
      name: 'without-duration-or-nested',
      failToPass: ['Button: should render a text button', 'Button: should render an icon button'],
      passToPass: ['Button: should render a ghost button'],
    },
  ],
  { harnessVersions: [5] },
);
variant(
  'cypress-next.karma-version',
  'cypress-next',
  { ...NEXT, version: '1.25' },
  { failToPass: ['Button: should render'], passToPass: [] },
  'the Cypress log for a task of another version (read as a karma run)',
  undefined,
  { harnessVersions: [5] },
);

const QUARTO = { repo: 'quarto-dev/quarto-cli', version: '1.5', logParser: 'quarto_cli' };
const DENO_TESTS = 'tests/smoke/render.test.js tests/unit/yaml.test.js';
runWithProbes(
  {
    id: 'deno-quarto',
    what: 'deno test with colours over quarto-cli-style tests: steps, captured output, temporary paths, a skip',
    suite: 'deno-quarto',
    testFiles: ['tests/test.js', 'tests/smoke/render.test.js', 'tests/unit/yaml.test.js'],
    nodeModules: 'PARITY_BROWSER_MODULES',
    testCommand: `./node_modules/.bin/deno test --allow-all ${DENO_TESTS}`,
  },
  [QUARTO],
  [
    {
      name: 'all-pass',
      failToPass: ['[smoke] > quarto render docs/test.qmd --to html', '[unit] > yaml-intelligence completions'],
      passToPass: ['[smoke] > quarto render docs/test.qmd --to pdf', '[unit] > yaml-intelligence schema'],
    },
    {
      name: 'failing-step',
      failToPass: ['[smoke] > quarto render docs/crossref.qmd --to html'],
      passToPass: ['[smoke] > quarto render /tmp/0 --to docx'],
    },
    {
      name: 'temporary-paths',
      failToPass: ['[smoke] > quarto render /tmp/0 --output-dir /tmp/1out'],
      passToPass: ['[smoke] > quarto render /tmp/0 --to docx'],
    },
    {
      name: 'name-cut-at-dots-and-ignored',
      failToPass: ['[unit] > pandoc attributes', '[smoke] > quarto render docs/julia.qmd'],
      passToPass: [],
    },
    { name: 'steps-are-not-tests', failToPass: ['output exists'], passToPass: ['figure numbered'] },
  ],
  { harnessVersions: [5] },
);
variant(
  'deno-quarto.no-colour',
  'deno-quarto',
  QUARTO,
  {
    failToPass: ['[smoke] > quarto render docs/test.qmd --to html'],
    passToPass: ['[unit] > yaml-intelligence schema'],
  },
  'the Deno run without colour codes (NO_COLOR): no result reads as passed',
  (log) => log.replace(/\x1b\[[0-9;]*m/g, ''),
  { harnessVersions: [5] },
);
variant(
  'deno-quarto.crlf',
  'deno-quarto',
  QUARTO,
  { failToPass: ['[smoke] > quarto render docs/test.qmd --to html'], passToPass: [] },
  "quarto-cli's Deno output with CRLF line endings",
  crlf,
  { harnessVersions: [5] },
);

// The two pytest families by their own registry names, as a SWE-bench 5 row may name them.
for (const family of [
  { repo: 'psf/requests', version: '2.9', logParser: 'pytest_options' },
  { repo: 'astropy/astropy', version: '5.2', logParser: 'pytest_v2' },
])
  for (const probe of PYTEST_PROBES.slice(0, 2))
    variant(
      `pytest-image.${family.logParser}.${probe.name}`,
      'pytest-image',
      family,
      probe,
      `pytest 7, named as parse_log_${family.logParser} by the task's dataset`,
      undefined,
    );

/** The test run killed after its first lines (the kernel's OOM killer; the shell prints `Killed` on its own line). */
const killedAfterStart = (log: string) => {
  const lines = log.split('\n');
  const start = lines.findIndex((line) => line.includes('>>>>> Start Test Output'));
  return `${lines.slice(0, start + 2).join('\n')}\nKilled\n`;
};
variant(
  'rules.infra-killed',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  'the test process was killed for memory after it started: `Killed` on a line of its own, no result',
  killedAfterStart,
);
variant(
  'rules.infra-killed.crlf',
  'pytest-host',
  PYTEST,
  ALL_PASS,
  'the same with CRLF line endings (the harness reads its logs as text)',
  (log) => crlf(killedAfterStart(log)),
);
