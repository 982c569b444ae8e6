import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { ensureProfileImage } from '../../../src/core/sandbox/images';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';

function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-tools-test-'));
  const write = (path: string, content: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  write('README.md', '# ledger\n');
  write('ledger/__init__.py', '');
  write(
    'ledger/money.py',
    'class Money:\n    def __init__(self, cents):\n        self.cents = cents\n\n    def format(self):\n        return f"{self.cents // 100}.{self.cents % 100:02d}"\n\n\ndef parse(text):\n    return Money(int(text))\n',
  );
  write('ledger/deep/deeper/deepest.py', 'def hidden_deep():\n    pass\n');
  write(
    'tests/test_money.py',
    'from ledger.money import Money\n\ndef test_format():\n    assert Money(150).format() == "1.50"\n',
  );
  write('web/app.ts', 'export function render(): string { return "x"; }\nexport class View { draw() {} }\n');
  write('many.txt', Array.from({ length: 150 }, (_, i) => `needle ${i}`).join('\n') + '\n');
  write('.hidden/secret.txt', 'not listed\n');
  return dir;
}

describe('agent tools in a real Docker container', () => {
  const toolbox = createDefaultToolbox({ maxObservationChars: 4000 });
  let sandbox: DockerSandbox;
  const run = (name: string, args: unknown) =>
    toolbox.call(
      { function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } },
      { sandbox },
    );

  before(async () => {
    const { image } = await ensureProfileImage('python');
    sandbox = await DockerSandbox.create({ image, repo: { location: makeRepo() } });
  });
  after(async () => sandbox?.destroy());

  test('bash reports exit code, stdout and stderr; a timeout is an error', async () => {
    const outcome = await run('bash', {
      command:
        'echo out; echo err >&2; python3 -c "import ledger.money as m; print(m.parse(\'250\').format())"; exit 3',
    });
    assert.equal(outcome.output, 'exit code: 3\nstdout:\nout\n2.50\nstderr:\nerr');
    assert.equal(outcome.isError, false);
    const slow = await run('bash', { command: 'sleep 30', timeout_seconds: 1 });
    assert.equal(slow.error, 'tool_failed');
    assert.match(slow.output, /timed out and was killed/);
  });

  test('bash hands its output over as the command writes it, before the command ends (the live turn)', async () => {
    // The command waits for a file the test writes only once the first line has been handed over: were the
    // output given only at the end, it would wait until its timeout.
    const pieces: string[] = [];
    let released: Promise<unknown> | undefined;
    const outcome = await toolbox.call(
      {
        function: {
          name: 'bash',
          arguments: JSON.stringify({
            command: 'echo first; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo second',
            timeout_seconds: 60,
          }),
        },
      },
      {
        sandbox,
        onOutput: (text) => {
          pieces.push(text);
          if (text.includes('first')) released ??= sandbox.exec('touch /tmp/go');
        },
      },
    );
    await released;
    assert.equal(outcome.output, 'exit code: 0\nstdout:\nfirst\nsecond');
    assert.equal(pieces.join(''), 'first\nsecond\n');
  });

  test('a huge output keeps its head and tail with a truncation note', async () => {
    const outcome = await run('bash', { command: 'seq 1 100000' });
    assert.equal(outcome.truncated, true);
    assert.match(outcome.output, /^exit code: 0\nstdout:\n1\n2\n3\n/);
    assert.match(outcome.output, /99999\n100000$/);
    assert.match(outcome.output, /observation truncated: \d+ characters \(\d+ lines\) omitted/);
  });

  test('view shows numbered lines, ranges, and folders two levels deep without hidden entries', async () => {
    const file = await run('view', { path: 'ledger/money.py', start_line: 5, end_line: 6 });
    assert.equal(
      file.output,
      'ledger/money.py:\n     5\t    def format(self):\n     6\t        return f"{self.cents // 100}.{self.cents % 100:02d}"',
    );
    const folder = await run('view', { path: '.' });
    assert.equal(
      folder.output,
      './ (two levels deep):\nREADME.md\nledger/\nledger/__init__.py\nledger/deep/\nledger/money.py\nmany.txt\ntests/\ntests/test_money.py\nweb/\nweb/app.ts',
    );
    const missing = await run('view', { path: 'nope.py' });
    assert.deepEqual([missing.error, missing.output], ['tool_failed', 'nope.py: no such file or folder.']);
    const absolute = await run('view', { path: '/work/repo/README.md' });
    assert.equal(absolute.output, 'README.md:\n     1\t# ledger');
  });

  test('edit replaces a unique snippet, and the change shows in the work tree diff', async () => {
    const outcome = await run('edit', {
      command: 'str_replace',
      path: 'ledger/money.py',
      old_str: 'self.cents // 100',
      new_str: 'abs(self.cents) // 100',
    });
    assert.equal(outcome.isError, false, outcome.output);
    assert.match(outcome.output, /^Edited ledger\/money\.py\. Lines 3-9 now read:\n/);
    assert.match(outcome.output, / {5}6\t {8}return f"\{abs\(self\.cents\) \/\/ 100\}/);
    const diff = await sandbox.diff();
    assert.match(diff, /-        return f"\{self\.cents \/\/ 100\}/);
    assert.match(diff, /\+        return f"\{abs\(self\.cents\) \/\/ 100\}/);
  });

  test('edit refuses ambiguous and missing snippets with line numbers, and leaves the file alone', async () => {
    const before = (await sandbox.readFile('ledger/money.py')).toString();
    const ambiguous = await run('edit', {
      command: 'str_replace',
      path: 'ledger/money.py',
      old_str: 'self.cents',
      new_str: 'x',
    });
    assert.equal(
      ambiguous.output,
      'No replacement made: old_str appears 3 times in ledger/money.py, on lines 3, 6. Include more surrounding lines to make it unique.',
    );
    const absent = await run('edit', {
      command: 'str_replace',
      path: 'ledger/money.py',
      old_str: 'dollars',
      new_str: 'x',
    });
    assert.match(absent.output, /old_str does not appear verbatim in ledger\/money\.py/);
    const noFile = await run('edit', { command: 'str_replace', path: 'ledger/nope.py', old_str: 'a', new_str: 'b' });
    assert.equal(noFile.output, 'ledger/nope.py: no such file. Use the create command to make a new file.');
    assert.equal((await sandbox.readFile('ledger/money.py')).toString(), before);
  });

  test('edit creates files in new folders, refuses to overwrite, and inserts lines', async () => {
    const created = await run('edit', {
      command: 'create',
      path: 'ledger/util/round.py',
      file_text: 'def half_up(x):\n    return x\n',
    });
    assert.equal(created.output, 'Created ledger/util/round.py (2 lines).');
    const again = await run('edit', { command: 'create', path: 'ledger/util/round.py', file_text: '' });
    assert.match(again.output, /already exists; create makes new files only/);
    const inserted = await run('edit', {
      command: 'insert',
      path: 'ledger/util/round.py',
      insert_line: 0,
      new_str: '"""Rounding."""',
    });
    assert.equal(inserted.isError, false, inserted.output);
    assert.equal(
      (await sandbox.readFile('ledger/util/round.py')).toString(),
      '"""Rounding."""\ndef half_up(x):\n    return x\n',
    );
    const owner = await sandbox.exec('stat -c %u ledger/util/round.py && python3 -c "import ledger.util.round"');
    assert.equal(owner.stdout, '1000\n', 'the agent user owns the new file and Python imports it');
  });

  test('edit keeps the mode of the script it edits', async () => {
    await sandbox.exec('printf "#!/bin/sh\\necho one\\n" > run.sh && chmod 750 run.sh');
    await run('edit', { command: 'str_replace', path: 'run.sh', old_str: 'echo one', new_str: 'echo two' });
    assert.equal((await sandbox.exec('./run.sh')).stdout, 'two\n');
    assert.equal((await sandbox.exec('stat -c %a run.sh')).stdout, '750\n');
  });

  test('search finds literal text, regular expressions and file names, bounded', async () => {
    const literal = await run('search', { pattern: 'Money(', path: '.' });
    assert.equal(
      literal.output,
      'ledger/money.py:10:    return Money(int(text))\ntests/test_money.py:4:    assert Money(150).format() == "1.50"',
    );
    const regex = await run('search', { pattern: '^def (parse|test_\\w+)', regex: true });
    assert.equal(regex.output, 'ledger/money.py:9:def parse(text):\ntests/test_money.py:3:def test_format():');
    const files = await run('search', { pattern: 'money', mode: 'files' });
    assert.equal(files.output, 'ledger/money.py\ntests/test_money.py');
    const many = await run('search', { pattern: 'needle', path: 'many.txt' });
    assert.match(many.output, /^many\.txt:1:needle 0\n/);
    assert.match(many.output, /\n\[more than 100 results; narrow the pattern or the path\]$/);
    const none = await run('search', { pattern: 'zebra' });
    assert.equal(none.output, 'No lines matching "zebra" in ..');
    const badRegex = await run('search', { pattern: '(unclosed', regex: true });
    assert.equal(badRegex.error, 'tool_failed');
    assert.match(badRegex.output, /^search failed in \.: grep: Unmatched \( or \\\(/);
  });

  test('code_map lists symbols of a file and of the repository', async () => {
    const file = await run('code_map', { path: 'ledger/money.py' });
    assert.equal(
      file.output,
      'ledger/money.py\n  class Money  L1-6\n    method __init__  L2-3\n    method format  L5-6\n  function parse  L9-10',
    );
    const repo = await run('code_map', {});
    assert.match(repo.output, /^ledger\/deep\/deeper\/deepest\.py\n  function hidden_deep  L1-2\nledger\/money\.py\n/);
    assert.match(repo.output, /web\/app\.ts\n  function render  L1-1\n  class View  L2-2\n    method draw  L2-2/);
    assert.match(repo.output, /\[1 more source files have no classes or functions\]/);
    const unsupported = await run('code_map', { path: 'README.md' });
    assert.match(unsupported.output, /^README\.md: no grammar for this kind of file/);
  });

  test('code_map reads non-ASCII names and text, and condenses a large folder to fit', async () => {
    await sandbox.writeFile('bulk/naïve name.py', 'def grüßen():\n    return "😀"\n');
    const methods = Array.from({ length: 12 }, (_, i) => `    def method_${i}(self):\n        return ${i}\n`).join('');
    await sandbox.exec(
      `for i in $(seq -w 1 60); do printf 'class Model_%s:\\n${methods.replace(/\n/g, '\\n')}' $i > bulk/model_$i.py; done`,
    );
    const small = await run('code_map', { path: 'bulk/naïve name.py' });
    assert.equal(small.output, 'bulk/naïve name.py\n  function grüßen  L1-2');
    const bulk = await run('code_map', { path: 'bulk' });
    assert.equal(bulk.truncated, false);
    assert.match(bulk.output, /^model_01\.py\n  class Model_01  L1-25\nmodel_02\.py\n/);
    assert.match(
      bulk.output,
      /naïve name\.py\n  function grüßen  L1-2\n\[members left out to fit: map a single file or a subfolder to see methods\]$/,
    );
    assert.doesNotMatch(bulk.output, /method_/);
  });

  test('submit ends the episode', async () => {
    const outcome = await run('submit', { summary: 'fixed negative amounts' });
    assert.deepEqual([outcome.submitted, outcome.output], [true, 'Submitted.']);
  });
});
