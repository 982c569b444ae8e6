import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { agentAnswer } from '../../../src/core/agent/cab/cabRollout';
import { parseVerdict, VERDICT_REWARD } from '../../../src/core/agent/cab/judge';
import { parseSatisfaction } from '../../../src/core/agent/cab/simulatedUser';

describe('CodeAssistBench protocol parsing', () => {
  test('the status section is read and cut from what the agent sees', () => {
    const parsed = parseSatisfaction(
      'Thanks, that works.\n\nSATISFACTION_STATUS: FULLY_SATISFIED\nREASON: all conditions met',
    );
    assert.deepEqual(parsed, {
      message: 'Thanks, that works.',
      status: 'FULLY_SATISFIED',
      reason: 'all conditions met',
      statusParsed: true,
    });
    assert.equal(parseSatisfaction('ok\n**SATISFACTION_STATUS:** [PARTIALLY_SATISFIED]').status, 'PARTIALLY_SATISFIED');
    assert.equal(parseSatisfaction('ok\nSATISFACTION STATUS: not satisfied').status, 'NOT_SATISFIED');
  });

  test('a missing or unknown status is NOT_SATISFIED and flagged', () => {
    assert.deepEqual(parseSatisfaction('Still broken.'), {
      message: 'Still broken.',
      status: 'NOT_SATISFIED',
      reason: undefined,
      statusParsed: false,
    });
    const unknown = parseSatisfaction('Hm.\nSATISFACTION_STATUS: SORT_OF');
    assert.equal(unknown.statusParsed, false);
    assert.equal(unknown.message, 'Hm.');
  });

  test('the last VERDICT line wins, PARTIALLY CORRECT is not read as CORRECT, and verdicts map to 1 / 0.5 / 0', () => {
    assert.equal(
      parseVerdict('VERDICT: [CORRECT/PARTIALLY CORRECT/INCORRECT]\n...\nVERDICT: PARTIALLY CORRECT'),
      'PARTIALLY CORRECT',
    );
    assert.equal(parseVerdict('**VERDICT:** INCORRECT'), 'INCORRECT');
    assert.equal(parseVerdict('verdict: correct'), 'CORRECT');
    assert.equal(parseVerdict('I think it is fine.'), undefined);
    assert.deepEqual(VERDICT_REWARD, { CORRECT: 1, 'PARTIALLY CORRECT': 0.5, INCORRECT: 0 });
  });

  test("the agent's answer is its last reply's text and any submitted summary", () => {
    assert.equal(
      agentAnswer([
        { role: 'assistant', content: 'old' },
        {
          role: 'assistant',
          content: 'Here is why.',
          tool_calls: [
            { id: '1', type: 'function', function: { name: 'submit', arguments: '{"summary":"Indent the call."}' } },
          ],
        },
        { role: 'tool', tool_call_id: '1', content: 'Submitted.' },
      ]),
      'Here is why.\n\nIndent the call.',
    );
    assert.equal(
      agentAnswer([
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: '1', type: 'function', function: { name: 'submit', arguments: '{bad' } }],
        },
      ]),
      '',
    );
  });
});
