import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { agentAnswer } from '../../../src/core/agent/protocols/cab/cabProtocol';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import {
  judgeAnswer,
  judgeMessages,
  parseAlignment,
  parseVerdict,
  VERDICT_REWARD,
  verdictOf,
} from '../../../src/core/agent/protocols/cab/judge';
import { askUser, parseSatisfaction, userMessages } from '../../../src/core/agent/protocols/cab/simulatedUser';
import { cabRowToTask } from '../../../src/core/task/cabSource';
import { cabRows } from '../../support/cabTasks';
import { step } from '../../support/scriptedServer';
import { VllmServer } from '../../support/vllmServer';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'cab');

describe('CodeAssistBench verdicts', () => {
  test('the spellings judges write: markdown emphasis, backticks, brackets, Final Verdict, any case', () => {
    assert.equal(parseVerdict('VERDICT: **CORRECT**'), 'CORRECT');
    assert.equal(parseVerdict('VERDICT: `PARTIALLY CORRECT`'), 'PARTIALLY CORRECT');
    assert.equal(parseVerdict('Final Verdict: CORRECT'), 'CORRECT');
    assert.equal(parseVerdict('**VERDICT:** [PARTIALLY CORRECT]'), 'PARTIALLY CORRECT');
    assert.equal(parseVerdict('**Final Verdict**: `INCORRECT`'), 'INCORRECT');
    assert.equal(parseVerdict('## 5. VERDICT\n\n**PARTIALLY_CORRECT**'), 'PARTIALLY CORRECT');
    assert.equal(parseVerdict('verdict: correct'), 'CORRECT');
  });

  test('the format quoted back is no verdict, the last real one wins, NOT CORRECT is none, and verdicts map to 1 / 0.5 / 0', () => {
    assert.equal(parseVerdict('VERDICT: [CORRECT/PARTIALLY CORRECT/INCORRECT]'), undefined);
    assert.equal(
      parseVerdict('VERDICT: CORRECT | PARTIALLY CORRECT | INCORRECT\n...\nVERDICT: INCORRECT'),
      'INCORRECT',
    );
    assert.equal(parseVerdict('VERDICT: PARTIALLY CORRECT\n\nOn reflection:\nFinal verdict: CORRECT'), 'CORRECT');
    assert.equal(parseVerdict('VERDICT: NOT CORRECT'), undefined);
    assert.equal(parseVerdict('The answer looks fine.'), undefined);
    assert.equal(parseVerdict('Verdict explanation: it is wrong'), undefined);
    assert.deepEqual(VERDICT_REWARD, { CORRECT: 1, 'PARTIALLY CORRECT': 0.5, INCORRECT: 0 });
  });

  test('a failed Docker validation makes any verdict INCORRECT, keeping what the judge wrote', () => {
    assert.deepEqual(verdictOf('VERDICT: CORRECT', { success: false }), { verdict: 'INCORRECT', written: 'CORRECT' });
    assert.deepEqual(verdictOf('no verdict here', { success: false }), { verdict: 'INCORRECT', written: undefined });
    assert.deepEqual(verdictOf('VERDICT: CORRECT', { success: true }), { verdict: 'CORRECT', written: 'CORRECT' });
  });

  test('the alignment score is read when the judge gives it', () => {
    assert.deepEqual(parseAlignment('ALIGNMENT SCORE: **2/3 CONDITIONS MET** (66.7%)'), { satisfied: 2, total: 3 });
    assert.equal(parseAlignment('VERDICT: CORRECT'), undefined);
  });
});

describe('CodeAssistBench satisfaction statuses', () => {
  test('the status section is read and cut from what the agent sees, whatever its markdown', () => {
    assert.deepEqual(
      parseSatisfaction('Thanks, that works.\n\nSATISFACTION_STATUS: FULLY_SATISFIED\nREASON: all conditions met'),
      {
        message: 'Thanks, that works.',
        status: 'FULLY_SATISFIED',
        reason: 'all conditions met',
        statusParsed: true,
      },
    );
    const bold = parseSatisfaction('Great.\n\nSATISFACTION_STATUS: **FULLY_SATISFIED**');
    assert.equal(bold.status, 'FULLY_SATISFIED');
    assert.equal(bold.message, 'Great.');
    const boldLabel = parseSatisfaction('Ok.\n**SATISFACTION_STATUS:** `PARTIALLY_SATISFIED`\n**REASON:** one open');
    assert.deepEqual(
      [boldLabel.status, boldLabel.message, boldLabel.reason],
      ['PARTIALLY_SATISFIED', 'Ok.', 'one open'],
    );
    assert.equal(parseSatisfaction('ok\nSATISFACTION STATUS: not satisfied').status, 'NOT_SATISFIED');
    assert.equal(parseSatisfaction('ok\nSATISFACTION_STATUS:\n[FULLY_SATISFIED]').status, 'FULLY_SATISFIED');
  });

  test('a missing, unknown or quoted-back status is NOT_SATISFIED and flagged, and the section never reaches the agent', () => {
    assert.deepEqual(parseSatisfaction('Still broken.'), {
      message: 'Still broken.',
      status: 'NOT_SATISFIED',
      statusParsed: false,
    });
    for (const raw of [
      'Hm.\nSATISFACTION_STATUS: SORT_OF',
      'Hm.\nSATISFACTION_STATUS: NOT_FULLY_SATISFIED',
      'Hm.\nSATISFACTION_STATUS: FULLY_SATISFIED | PARTIALLY_SATISFIED | NOT_SATISFIED',
    ]) {
      const parsed = parseSatisfaction(raw);
      assert.equal(parsed.statusParsed, false, raw);
      assert.equal(parsed.status, 'NOT_SATISFIED', raw);
      assert.equal(parsed.message, 'Hm.', raw);
    }
  });

  test("the auditor's replies: a REASON line before the status, Status and Reason labels, **Satisfaction:** are read, and none reaches the agent", () => {
    assert.deepEqual(
      parseSatisfaction(
        'Could you check again?\n\nREASON: condition 2 (the answer must mention the --foo flag) is not met\nSATISFACTION_STATUS: NOT_SATISFIED',
      ),
      {
        message: 'Could you check again?',
        status: 'NOT_SATISFIED',
        reason: 'condition 2 (the answer must mention the --foo flag) is not met',
        statusParsed: true,
      },
    );
    assert.deepEqual(parseSatisfaction('Thanks.\n\nStatus: PARTIALLY_SATISFIED\nReason: condition 3 is still open'), {
      message: 'Thanks.',
      status: 'PARTIALLY_SATISFIED',
      reason: 'condition 3 is still open',
      statusParsed: true,
    });
    assert.deepEqual(parseSatisfaction('Great, it works.\n\n**Satisfaction:** FULLY_SATISFIED'), {
      message: 'Great, it works.',
      status: 'FULLY_SATISFIED',
      statusParsed: true,
    });
    const headings = parseSatisfaction(
      'Almost.\n\n## Satisfaction\nPartially satisfied\n\n## Reason\n`--foo` is missing',
    );
    assert.deepEqual(
      [headings.message, headings.status, headings.reason],
      ['Almost.', 'PARTIALLY_SATISFIED', '--foo is missing'],
    );
    const bare = parseSatisfaction('Got it.\n\n- NOT_SATISFIED\n- reason = the cause is unexplained');
    assert.deepEqual(
      [bare.message, bare.status, bare.reason],
      ['Got it.', 'NOT_SATISFIED', 'the cause is unexplained'],
    );
  });

  test('when no status can be read, the agent sees only the text before the first status or reason line', () => {
    for (const raw of [
      'Not yet.\n\nReason: condition 1 (explain the cause) is open\nStatus: unsure',
      'Not yet.\n> **REASON** \u2014 condition 1 (explain the cause) is open\nMore about condition 1.',
      'Not yet.\n\n**reason:**\ncondition 1 (explain the cause) is open',
      'Not yet.\n\nSatisfaction: condition 1 (explain the cause) is open',
    ]) {
      const parsed = parseSatisfaction(raw);
      assert.deepEqual([parsed.message, parsed.status, parsed.statusParsed], ['Not yet.', 'NOT_SATISFIED', false], raw);
    }
  });
});

/**
 * Parity with CodeAssistBench's own parsers (UserAgent._parse_satisfaction_status, JudgeAgent._parse_evaluation
 * at amazon-science/CodeAssistBench d0b72837), run by test/fixtures/cab/parity/oracle.py on inputs.json. The
 * repository holds no recorded outputs of its runs, so the inputs are written for this test; the results are
 * theirs. Where ours deliberately differ, the case is listed with the reason; every other case must agree.
 */
describe("parity with CodeAssistBench's parsers (their outputs, recorded)", () => {
  const inputs = JSON.parse(readFileSync(join(FIXTURES, 'parity', 'inputs.json'), 'utf8')) as {
    judge: { name: string; reply: string; docker_success?: boolean }[];
    user: { name: string; reply: string }[];
  };
  const theirs = JSON.parse(readFileSync(join(FIXTURES, 'parity', 'oracle-results.json'), 'utf8')) as {
    judge: { name: string; verdict: string }[];
    user: { name: string; status: string; message: string; reason: string }[];
  };

  /** Ours where it differs from theirs, and why. */
  const verdictDifferences: Record<string, { ours: string; why: string }> = {
    'Final Verdict label': { ours: 'CORRECT', why: 'their labels are matched in upper case only' },
    'lower case': { ours: 'CORRECT', why: 'their labels are matched in upper case only' },
    'bold Final Verdict with backticks': { ours: 'INCORRECT', why: 'their labels are matched in upper case only' },
    'the format quoted before the verdict': {
      ours: 'INCORRECT',
      why: 'they read the first VERDICT label, here the quoted format',
    },
    'not correct': { ours: 'UNKNOWN', why: 'they read NOT CORRECT as CORRECT' },
  };
  const statusDifferences: Record<string, { ours: string; why: string }> = {
    'not fully satisfied': { ours: 'NOT_SATISFIED', why: 'they find FULLY_SATISFIED inside NOT_FULLY_SATISFIED' },
    'lower case with spaces': {
      ours: 'FULLY_SATISFIED',
      why: 'their label is matched exactly, so the status is shown to the agent',
    },
    'the format quoted back': { ours: 'NOT_SATISFIED', why: 'they take the first status the quoted format names' },
  };
  /** Ours cuts the whole status line and a separator before it; theirs keeps the label's leading `**` or `---`. */
  const messageDifferences = new Set(['bold label', 'separator before the section', 'lower case with spaces']);

  test('verdicts agree but for the listed differences, each of which is real', () => {
    assert.equal(inputs.judge.length, theirs.judge.length);
    for (const [index, input] of inputs.judge.entries()) {
      const expected = theirs.judge[index];
      assert.equal(expected.name, input.name);
      const validation = input.docker_success === undefined ? undefined : { success: input.docker_success };
      const ours = (verdictOf(input.reply, validation).verdict ?? 'UNKNOWN').replace(' ', '_');
      const difference = verdictDifferences[input.name];
      if (difference) {
        assert.notEqual(expected.verdict, difference.ours, `${input.name}: listed as a difference but theirs agrees`);
        assert.equal(ours, difference.ours.replace(' ', '_'), `${input.name} (${difference.why})`);
      } else assert.equal(ours, expected.verdict, input.name);
    }
  });

  test('statuses, the message the agent sees and the reason agree but for the listed differences', () => {
    assert.equal(inputs.user.length, theirs.user.length);
    for (const [index, input] of inputs.user.entries()) {
      const expected = theirs.user[index];
      assert.equal(expected.name, input.name);
      const ours = parseSatisfaction(input.reply);
      const difference = statusDifferences[input.name];
      if (difference) {
        assert.notEqual(expected.status, difference.ours, `${input.name}: listed as a difference but theirs agrees`);
        assert.equal(ours.status, difference.ours, `${input.name} (${difference.why})`);
      } else assert.equal(ours.status, expected.status, input.name);
      if (messageDifferences.has(input.name)) assert.notEqual(ours.message, expected.message, input.name);
      else assert.equal(ours.message, expected.message, input.name);
      if (ours.statusParsed && !messageDifferences.has(input.name))
        assert.equal(ours.reason, expected.reason, input.name);
    }
  });
});

describe('what each party of the CodeAssistBench protocol is given', () => {
  const rows = readFileSync(join(FIXTURES, 'cab_verified_lenient.jsonl'), 'utf8').trim().split('\n');
  const tasks = rows.map((line) => cabRowToTask(JSON.parse(line) as Record<string, unknown>));

  test('on every real task, the simulated user gets the title, the body and the conditions, and none of the thread', () => {
    for (const task of tasks) {
      const cab = task.cab!;
      const sent = JSON.stringify(userMessages(task, [{ speaker: 'maintainer', text: 'Try X.' }]));
      assert.ok(sent.includes(JSON.stringify(cab.title).slice(1, -1)), `${task.id}: the title`);
      for (const condition of cab.satisfactionConditions)
        assert.ok(sent.includes(JSON.stringify(condition).slice(1, -1)), `${task.id}: condition "${condition}"`);
      for (const comment of cab.comments) {
        const body = comment.body.trim();
        // A reply that only repeats the issue's own words (or is too short to say anything) gives nothing away.
        if (body.length < 20 || task.problemStatement.includes(body)) continue;
        assert.ok(
          !sent.includes(JSON.stringify(body).slice(1, -1)),
          `${task.id}: the thread's comment by ${comment.user}`,
        );
      }
    }
  });

  test("the judge gets the reference thread, the conditions, the final answer and the agent's changes", () => {
    const task = tasks.find((candidate) => candidate.id === 'cab_lenient_18')!;
    const [system, user] = judgeMessages(task, 'Indent the call into the with block.', 'diff --git a/x b/x\n');
    assert.match(system.content ?? '', /reference thread/);
    assert.doesNotMatch(system.content ?? '', /Docker validation/, 'no Docker rule without a validation');
    for (const comment of task.cab!.comments) assert.ok(user.content?.includes(comment.body.trim()));
    assert.match(user.content ?? '', /<answer>\nIndent the call into the with block\.\n<\/answer>/);
    assert.match(user.content ?? '', /```diff\ndiff --git a\/x b\/x/);
    const [dockerSystem, dockerUser] = judgeMessages(task, 'x', '', { success: false, log: 'boom' });
    assert.match(dockerSystem.content ?? '', /Docker validation below succeeded/);
    assert.match(dockerUser.content ?? '', /Docker validation: FAILED\n```\nboom/);
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

describe('CodeAssistBench users and judges that write their thought in their reply (vLLM without --reasoning-parser, wire double)', () => {
  const task = cabRowToTask(cabRows()[0]);

  /** What `ask` gets back from a model whose one reply is `reply`, its thought `thought` written before it. */
  async function withThinkingModel<T>(reply: string, thought: string, ask: (policy: OpenAIPolicy) => Promise<T>) {
    const server = await VllmServer.start([step.text(reply, { reasoning: thought })], { reasoningParser: false });
    try {
      return await ask(new OpenAIPolicy({ model: 'Qwen/Qwen3-8B', baseURL: server.baseURL }));
    } finally {
      await server.close();
    }
  }

  test("the simulated user's thought is not told to the agent, nor read for its status", async () => {
    const answer = await withThinkingModel(
      'It still loses the cache after a restart.\n\nSATISFACTION_STATUS: NOT_SATISFIED\nREASON: the cache is lost',
      'Condition 1: the cache must survive a restart.\nStatus: FULLY_SATISFIED once it does.',
      (policy) => askUser(policy, task, [{ speaker: 'maintainer', text: 'Try X.' }], undefined),
    );
    assert.deepEqual([answer.status, answer.message], ['NOT_SATISFIED', 'It still loses the cache after a restart.']);
  });

  test("the judge's verdict and alignment are read from its reply, not from its thought", async () => {
    const judgement = await withThinkingModel(
      'TECHNICAL CORRECTNESS: INCORRECT\nALIGNMENT SCORE: 1/3 CONDITIONS MET (33%)\nVERDICT: INCORRECT',
      'At first sight 2/3 conditions met, but the second fix is wrong.',
      (policy) => judgeAnswer(policy, task, 'Try X.', '', undefined),
    );
    assert.deepEqual([judgement.verdict, judgement.alignment], ['INCORRECT', { satisfied: 1, total: 3 }]);
  });
});
