/**
 * Reasoning a model wrote in its reply's text (`<think>…</think>`), read apart from the answer as vLLM's reasoning
 * parsers read it (test/fixtures/think-tags and qwen3-think hold those parsers' readings of our cases), and put back
 * in the text the reply goes back to the server with.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withInlineReasoningApart, withStreamedReasoningApart } from '../../../src/core/agent/policies/inlineReasoning';
import { messagesAsSent } from '../../../src/core/agent/policies/requestAsSent';
import type { AssistantMessage, ReplyDelta } from '../../../src/core/agent/policies/policy';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

interface OracleCase {
  name: string;
  reply: string;
  /** Why the agent reads the reply otherwise than vLLM, and how it reads it. */
  differs?: string;
  agent_reads?: { reasoning: string | null; content: string | null };
}

/** A folder's cases and the readings of the vLLM parser its SOURCE.md names. */
function oracleFixture(folder: string) {
  const read = (file: string) => JSON.parse(readFileSync(join(FIXTURES, folder, file), 'utf8')) as unknown;
  return {
    folder,
    cases: read('cases.json') as OracleCase[],
    readings: read('readings.json') as { name: string; reasoning: string | null; content: string | null }[],
  };
}

/** vLLM's `<think>` parser (deepseek_r1's reading) and its qwen3 parser, which a Qwen3-Coder call also ends. */
const ORACLES = [oracleFixture('think-tags'), oracleFixture('qwen3-think')];
const cases = ORACLES.flatMap((oracle) => oracle.cases);

/** The reply as the agent reads it, in the oracle's terms: no reasoning and no text are both null. */
function agentReading(reply: string): { reasoning: string | null; content: string | null } {
  const message = withInlineReasoningApart({ role: 'assistant', content: reply });
  return { reasoning: message.extra?.reasoning_sent_back?.text ?? null, content: message.content || null };
}

describe("reasoning in a reply's text", () => {
  for (const { folder, cases: given, readings } of ORACLES) {
    test(`${folder}: the cases and the readings of vLLM are the same list`, () => {
      assert.deepEqual(
        readings.map((reading) => reading.name),
        given.map((oracleCase) => oracleCase.name),
      );
    });

    for (const [index, oracleCase] of given.entries())
      test(`${folder}: ${oracleCase.name}: read ${oracleCase.agent_reads ? 'otherwise than vLLM, on purpose' : "as vLLM's parser reads it"}`, () => {
        const { reasoning, content } = readings[index];
        if (!oracleCase.agent_reads) return assert.deepEqual(agentReading(oracleCase.reply), { reasoning, content });
        assert.deepEqual(agentReading(oracleCase.reply), oracleCase.agent_reads);
        assert.notDeepEqual(oracleCase.agent_reads, { reasoning, content }, 'vLLM reads it otherwise');
      });
  }

  test('every reply goes back to the server as it came, and its reasoning in no field', () => {
    for (const given of cases) {
      const read = withInlineReasoningApart({ role: 'assistant', content: given.reply });
      const [sent] = messagesAsSent([read], new Set()) as AssistantMessage[];
      assert.deepEqual(sent, { role: 'assistant', content: given.reply }, given.name);
    }
  });

  test('beside tool calls, a reply with nothing after its reasoning has no text; it goes back as it came', () => {
    const calls = [{ id: 'c1', type: 'function' as const, function: { name: 'bash', arguments: '{}' } }];
    const read = withInlineReasoningApart({ role: 'assistant', content: '<think>Run it.</think>', tool_calls: calls });
    assert.equal(read.content, null);
    assert.deepEqual(messagesAsSent([read], new Set()), [
      { role: 'assistant', content: '<think>Run it.</think>', tool_calls: calls },
    ]);
  });

  test('a reply whose server returned its reasoning in a field is left as it is', () => {
    const message: AssistantMessage = {
      role: 'assistant',
      content: 'The <think> tag </think> in the answer.',
      extra: { reasoning_sent_back: { field: 'reasoning', text: 'Thought.' } },
    };
    assert.equal(withInlineReasoningApart(message), message);
  });

  test('after a server refused reasoning fields (reasoning-field-refused), reasoning written in the text still goes back in it', () => {
    const read = withInlineReasoningApart({ role: 'assistant', content: '<think>Plan.</think>Done.' });
    assert.deepEqual(messagesAsSent([read], new Set(['reasoning-field-refused'])), [
      { role: 'assistant', content: '<think>Plan.</think>Done.' },
    ]);
  });
});

describe("reasoning in a reply's text, while it streams", () => {
  /** What a streamed reply in these pieces shows: the text of each kind of piece, joined. */
  function shown(pieces: string[]): { reasoning: string; content: string } {
    const deltas: ReplyDelta[] = [];
    const onDelta = withStreamedReasoningApart((delta) => deltas.push(delta));
    for (const text of pieces) onDelta({ kind: 'content', text });
    const joined = (kind: string) =>
      deltas.map((delta) => (delta.kind === kind ? (delta as { text: string }).text : '')).join('');
    return { reasoning: joined('reasoning'), content: joined('content') };
  }

  test('a reply that opens with its reasoning shows it as reasoning, its tags split across pieces or not', () => {
    const expected = { reasoning: '\nPlan the fix.\n', content: '\n\nFixed.' };
    assert.deepEqual(shown(['<think>\nPlan the fix.\n</think>\n\nFixed.']), expected);
    assert.deepEqual(shown(['\n<thi', 'nk>\nPlan the ', 'fix.\n</th', 'ink>\n\nFix', 'ed.']), expected);
    assert.deepEqual(shown([...'<think>\nPlan the fix.\n</think>\n\nFixed.']), expected, 'a character a piece');
  });

  test('a reply cut off while thinking shows all of it as reasoning but what may begin the closing tag', () => {
    assert.deepEqual(shown(['<think>Still thinking </']), { reasoning: 'Still thinking ', content: '' });
  });

  test('a Qwen3-Coder call ends a thought the model opened: the call shows as text, its tags split across pieces or not', () => {
    const call = '<tool_call>\n<function=bash>\n<parameter=command>\nls\n</parameter>\n</function>\n</tool_call>';
    const expected = { reasoning: '\nList the files.\n', content: call };
    assert.deepEqual(shown([`<think>\nList the files.\n${call}`]), expected);
    assert.deepEqual(shown([...`<think>\nList the files.\n${call}`]), expected, 'a character a piece');
    assert.deepEqual(
      shown(['<think>\nList the files.\n<tool_', 'call>\n', '<func', `tion=${call.slice(22)}`]),
      expected,
    );
    assert.deepEqual(shown(['<think>I may write <tool_call> later.', ' Not yet.']), {
      reasoning: 'I may write <tool_call> later. Not yet.',
      content: '',
    });
  });

  test('every fixture reply that opens with its thought shows live as the turn records it, a character a piece', () => {
    for (const { name, reply } of cases.filter((oracleCase) => /^\s*<think>/.test(oracleCase.reply))) {
      const { reasoning, content } = agentReading(reply);
      assert.deepEqual(shown([...reply]), { reasoning: reasoning ?? '', content: content ?? '' }, name);
    }
  });

  test('other replies, and pieces of other kinds, pass as they come', () => {
    assert.deepEqual(shown(['Fixed ', 'the <think> tag.']), { reasoning: '', content: 'Fixed the <think> tag.' });
    assert.deepEqual(shown(['Thought.\n</think>\n\nFixed.']), {
      reasoning: '',
      content: 'Thought.\n</think>\n\nFixed.',
    });
    const deltas: ReplyDelta[] = [];
    const onDelta = withStreamedReasoningApart((delta) => deltas.push(delta));
    const others: ReplyDelta[] = [
      { kind: 'reasoning', text: 'From the field.' },
      { kind: 'tool_call', index: 0 },
    ];
    for (const delta of others) onDelta(delta);
    assert.deepEqual(deltas, others);
  });
});
