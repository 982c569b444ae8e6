/**
 * A JSON file a user gives that JSON.parse refuses is named by line and column, never by the character offset the
 * engine gives (or by nothing, as V8 gives for an unexpected token).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeJsonSyntaxError } from '../../src/core/textFile';

function refusal(text: string): { line: number; reason: string } {
  try {
    JSON.parse(text);
  } catch (error) {
    return describeJsonSyntaxError(text, error);
  }
  throw new Error('the text parsed');
}

describe('describeJsonSyntaxError', () => {
  test('a missing comma: the line and column where the next value starts', () => {
    const text = '[\n  {\n    "a": 1\n    "b": 2\n  }\n]\n';
    assert.deepEqual(refusal(text), {
      line: 4,
      reason: "Expected ',' or '}' after property value (column 5)",
    });
  });

  test('a trailing comma, whose message names no place: the line and column of the token refused', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `  {"id": ${i}},`).join('\n');
    assert.deepEqual(refusal(`[\n${rows}\n]\n`), { line: 32, reason: "Unexpected token ']' (column 1)" });
    assert.deepEqual(refusal('{"a": tru}'), { line: 1, reason: "Unexpected token '}' (column 10)" });
  });

  test('a file cut short: the end of its last line that is not blank', () => {
    const cases: [string, string][] = [
      ['{\n  "a": {"b": "c",\n\n', 'Expected double-quoted property name (column 18)'],
      ['[\n  1,\n\n', 'Unexpected end of JSON input (column 5)'],
    ];
    for (const [text, reason] of cases) assert.deepEqual(refusal(text), { line: 2, reason }, text);
  });

  test('the line and column a newer engine adds to its message are not repeated', () => {
    const error = new SyntaxError("Expected ',' or ']' after array element in JSON at position 6 (line 2 column 3)");
    assert.deepEqual(describeJsonSyntaxError('[1,\n2 3]', error), {
      line: 2,
      reason: "Expected ',' or ']' after array element (column 3)",
    });
  });
});
