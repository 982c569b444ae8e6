// Checks one validation run of a bundled example task: `node check-run.mjs TASK_JSON MODE LOG`.
// MODE is base (test patch only), gold (gold + test patch) or naive (naive + test patch).
// Prints one line for the run and exits 1 when the run does not show what the mode requires.
import { readFileSync } from 'node:fs';

const TAP_INDENT = 4;

// pytest -rA short summary: `PASSED tests/test_x.py::name` or `FAILED tests/test_x.py::name - message`.
function parsePytest(log) {
  const results = new Map();
  for (const line of log.split('\n')) {
    const match = /^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)/.exec(line);
    if (match) results.set(match[2], match[1] === 'PASSED' ? 'PASSED' : match[1]);
  }
  return results;
}

// node --test-reporter=tap: `# Subtest: name` opens a test at its indent; `ok N - name` closes it.
// Nested tests are named `parent > child`; only leaves (tests with no subtests) count.
function parseNodeTap(log) {
  const results = new Map();
  const open = [];
  const hasChildren = new Set();
  for (const line of log.split('\n')) {
    const subtest = /^( *)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      const depth = subtest[1].length / TAP_INDENT;
      open.length = depth;
      open.push(subtest[2]);
      if (depth > 0) hasChildren.add(open.slice(0, depth).join(' > '));
      continue;
    }
    const outcome = /^( *)(ok|not ok) \d+ - (.*?)(?: # (SKIP|TODO)\b.*)?$/.exec(line);
    if (!outcome) continue;
    const depth = outcome[1].length / TAP_INDENT;
    const id = [...open.slice(0, depth), outcome[3]].join(' > ');
    results.set(id, outcome[4] ? 'SKIPPED' : outcome[2] === 'ok' ? 'PASSED' : 'FAILED');
  }
  for (const parent of hasChildren) results.delete(parent);
  return results;
}

// go test -json: one JSON event a line; the final pass/fail/skip event of each test is its status.
function parseGoJson(log) {
  const results = new Map();
  const statusOf = { pass: 'PASSED', fail: 'FAILED', skip: 'SKIPPED' };
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line);
    if (event.Test && statusOf[event.Action]) results.set(event.Test, statusOf[event.Action]);
  }
  return results;
}

const parsers = { pytest: parsePytest, 'node-tap': parseNodeTap, 'go-test-json': parseGoJson };

function problemsFor(mode, task, results) {
  const statusOf = (id) => results.get(id) ?? 'MISSING';
  const notPassing = (ids) => ids.filter((id) => statusOf(id) !== 'PASSED').map((id) => `${id} (${statusOf(id)})`);
  const failToPass = task.FAIL_TO_PASS;
  const passToPass = task.PASS_TO_PASS;
  if (mode === 'base') {
    const passingF2P = failToPass.filter((id) => statusOf(id) !== 'FAILED').map((id) => `${id} (${statusOf(id)})`);
    return [
      ...passingF2P.map((id) => `FAIL_TO_PASS test does not fail without the fix: ${id}`),
      ...notPassing(passToPass).map((id) => `PASS_TO_PASS test does not pass without the fix: ${id}`),
    ];
  }
  if (mode === 'gold') {
    const listed = new Set([...failToPass, ...passToPass]);
    return [
      ...notPassing([...listed]).map((id) => `test does not pass with the gold patch: ${id}`),
      ...[...results.keys()].filter((id) => !listed.has(id)).map((id) => `runner reports a test that is not listed: ${id}`),
    ];
  }
  if (mode === 'naive') {
    return notPassing(passToPass).length > 0 ? [] : ['the naive patch breaks no PASS_TO_PASS test'];
  }
  return [`unknown mode ${mode}`];
}

const [taskPath, mode, logPath] = process.argv.slice(2);
const task = JSON.parse(readFileSync(taskPath, 'utf8'));
const parse = parsers[task.test_framework];
if (!parse) {
  console.error(`${taskPath}: field test_framework: unknown framework ${JSON.stringify(task.test_framework)}`);
  process.exit(2);
}
const results = parse(readFileSync(logPath, 'utf8'));
if (results.size === 0) {
  console.error(`${task.instance_id} ${mode}: the runner reported no tests, see ${logPath}`);
  process.exit(2);
}
const problems = problemsFor(mode, task, results);
const brokenP2P = task.PASS_TO_PASS.filter((id) => results.get(id) !== 'PASSED');
const detail = mode === 'naive' ? `; breaks ${brokenP2P.join(', ')}` : '';
console.log(`${problems.length ? 'FAIL' : 'ok  '} ${task.instance_id} ${mode} (${results.size} tests reported${detail})`);
for (const problem of problems) console.log(`     ${problem}`);
process.exit(problems.length ? 1 : 0);
