import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { insertAfterLine, replaceUnique } from '../../../src/core/agent/tools/edit';
import { showLines } from '../../../src/core/agent/tools/view';
import { formatExecObservation } from '../../../src/core/agent/tools/bash';
import { truncateMiddle } from '../../../src/core/agent/tools/truncate';
import { displayPath, resolveInSandbox } from '../../../src/core/agent/tools/shell';

const source = 'def a():\n    return 1\n\ndef b():\n    return 1\n';

describe('edit: str_replace', () => {
  test('replaces the single occurrence and reports its line', () => {
    const result = replaceUnique(source, 'def b():\n    return 1', 'def b():\n    return 2', 'm.py');
    assert.deepEqual(result, {
      ok: true,
      text: 'def a():\n    return 1\n\ndef b():\n    return 2\n',
      firstLine: 4,
      lastLine: 5,
    });
  });

  test('several occurrences: an error listing their lines', () => {
    const result = replaceUnique(source, 'return 1', 'return 3', 'm.py');
    assert.deepEqual(result, {
      ok: false,
      message:
        'No replacement made: old_str appears 2 times in m.py, on lines 2, 5. Include more surrounding lines to make it unique.',
    });
  });

  test('no occurrence: an error naming the file', () => {
    const result = replaceUnique(source, 'return 9', 'x', 'm.py');
    assert.equal(result.ok, false);
    assert.match((result as { message: string }).message, /old_str does not appear verbatim in m\.py/);
  });

  test('a file with Windows line endings is matched and keeps them', () => {
    const result = replaceUnique('a\r\nb\r\nc\r\n', 'a\nb', 'x\ny', 'w.txt');
    assert.equal(result.ok && result.text, 'x\r\ny\r\nc\r\n');
  });

  test('an empty new_str deletes', () => {
    const result = replaceUnique(source, '\ndef b():\n    return 1\n', '', 'm.py');
    assert.equal(result.ok && result.text, 'def a():\n    return 1\n');
  });
});

describe('edit: insert', () => {
  test('inserts after a line, at the top, and at the end', () => {
    assert.equal((insertAfterLine('a\nb\n', 1, 'x', 'f') as { text: string }).text, 'a\nx\nb\n');
    assert.equal((insertAfterLine('a\nb\n', 0, 'x\ny\n', 'f') as { text: string }).text, 'x\ny\na\nb\n');
    assert.equal((insertAfterLine('a\nb', 2, 'x', 'f') as { text: string }).text, 'a\nb\nx');
  });

  test('past the end: an error with the valid range', () => {
    assert.deepEqual(insertAfterLine('a\nb\n', 3, 'x', 'f.txt'), {
      ok: false,
      message: 'insert_line 3 is past the end of f.txt, which has 2 lines (use 0 to 2).',
    });
  });
});

describe('view: line ranges', () => {
  const text = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

  test('numbers the lines of a range', () => {
    assert.deepEqual(showLines('f', text, { start: 3, end: 4 }, 100), {
      output: 'f:\n     3\tline 3\n     4\tline 4',
      isError: false,
    });
  });

  test('end_line -1 runs to the end; a long file without a range is cut with a note', () => {
    assert.match(showLines('f', text, { start: 9, end: -1 }, 100).output, /9\tline 9\n\s+10\tline 10$/);
    const cut = showLines('f', text, {}, 2).output;
    assert.match(cut, /2\tline 2\n\[f has 10 lines; showing 1-2\. Pass start_line\/end_line to see more\.\]$/);
  });

  test('ranges outside the file are errors saying what is valid', () => {
    assert.deepEqual(showLines('f', text, { start: 11 }, 100), {
      output: 'start_line 11 is past the end of f, which has 10 lines.',
      isError: true,
    });
    assert.deepEqual(showLines('f', text, { start: 5, end: 2 }, 100), {
      output: 'end_line 2 is before start_line 5.',
      isError: true,
    });
  });
});

describe('bash observation', () => {
  test('shows exit code and the streams that have content', () => {
    const base = { truncated: false, timedOut: false };
    assert.equal(
      formatExecObservation({ ...base, exitCode: 1, stdout: 'out\n', stderr: 'err\n' }),
      'exit code: 1\nstdout:\nout\nstderr:\nerr',
    );
    assert.equal(formatExecObservation({ ...base, exitCode: 0, stdout: '', stderr: '' }), 'exit code: 0\n(no output)');
    assert.match(
      formatExecObservation({ ...base, exitCode: 137, stdout: '', stderr: '', timedOut: true }),
      /^The command timed out and was killed \(exit code 137\)\./,
    );
  });
});

describe('helpers', () => {
  test('truncateMiddle leaves short text alone', () => {
    assert.deepEqual(truncateMiddle('abc', 3), { text: 'abc', truncated: false });
  });

  test('paths resolve against the repository root and display relative to it', () => {
    assert.equal(resolveInSandbox('/work/repo', 'src/a.py'), '/work/repo/src/a.py');
    assert.equal(resolveInSandbox('/work/repo', '/etc/passwd'), '/etc/passwd');
    assert.equal(displayPath('/work/repo', '/work/repo/src/a.py'), 'src/a.py');
    assert.equal(displayPath('/work/repo', '/work/repo'), '.');
    assert.equal(displayPath('/work/repo', '/tmp/x'), '/tmp/x');
  });
});
