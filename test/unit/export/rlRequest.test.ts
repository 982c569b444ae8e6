import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compactForContext, estimateTokens } from '../../../src/core/agent/loop';
import { exportDataset } from '../../../src/core/export/exporter';
import { exportMessage } from '../../../src/core/export/messages';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import { describeRequest, rebuildRequest } from '../../../src/core/trajectory/request';
import type { ChatMessage as PolicyMessage } from '../../../src/core/agent/policies/policy';
import type { ChatMessage } from '../../../src/core/trajectory/types';
import { sampleResult, sampleRun, sampleTurn } from '../trajectory/sampleTrajectory';

describe('the request a model call was sent', () => {
  test('is recorded as ranges of the conversation plus the messages that are not in it, and rebuilt exactly', () => {
    const conversation: ChatMessage[] = [0, 1, 2, 3].flatMap((index) => sampleTurn(index).messages);
    assert.equal(describeRequest(conversation, conversation), null, 'the whole conversation needs no record');
    const note: ChatMessage = { role: 'user', content: '[2 earlier turns were removed]' };
    const sent = [...conversation.slice(0, 2), note, ...conversation.slice(6)];
    const parts = describeRequest(conversation, sent);
    assert.deepEqual(parts, [{ messages: [0, 2] }, { message: note }, { messages: [6, 10] }]);
    assert.deepEqual(rebuildRequest(parts!, conversation, 'x'), sent);
    assert.throws(
      () => rebuildRequest([{ messages: [0, 11] }], conversation, 'run.jsonl: turn 4'),
      /turn 4: request range \[0, 11\) is outside the 10 messages/,
    );
  });

  test("the RL export's prompt for a compacted turn is the compacted request, not the whole history", async () => {
    const out = mkdtempSync(join(tmpdir(), 'rl-request-'));
    const recorder = await TrajectoryRecorder.start(out, sampleRun('compacted', 'task-c'));
    // The loop's conversation, in the policy's message types (recorded turns use the trajectory's).
    const history: PolicyMessage[] = [];
    let expectedPrompt: PolicyMessage[] = [];
    for (let index = 0; index < 5; index += 1) {
      const turn = sampleTurn(index, { output: `${'x'.repeat(2000)} ${index}` });
      const assistantAt = turn.messages.findIndex((message) => message.role === 'assistant');
      history.push(...(turn.messages.slice(0, assistantAt) as PolicyMessage[]));
      // The agent loop's own compaction, with a window small enough that it drops turns from turn 3 on.
      const request = compactForContext(history, { contextWindowTokens: 2500, keepRecentTurns: 1 });
      const sent = describeRequest(history, request.messages);
      if (index === 4) {
        assert.ok(sent, 'turn 4 was compacted');
        assert.ok(estimateTokens(request.messages) < estimateTokens(history));
        expectedPrompt = request.messages;
      }
      if (sent) await recorder.recordEvent('compaction', { strategy: 'sliding_window', request: sent });
      await recorder.recordTurn(turn);
      history.push(...(turn.messages.slice(assistantAt) as PolicyMessage[]));
    }
    await recorder.finish(sampleResult(1));
    const log = readFileSync(recorder.path, 'utf8');
    assert.ok(log.length < 5 * 2 * 2100 + 6000, 'the record names ranges; it does not repeat the history');

    const exported = mkdtempSync(join(tmpdir(), 'rl-request-out-'));
    await exportDataset({ runs: [out], format: 'rl', out: exported, command: 'rollout export --format rl' });
    const rows = readFileSync(join(exported, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { turn_index: number; prompt: unknown[] });
    const last = rows.find((row) => row.turn_index === 4);
    assert.deepEqual(
      last?.prompt,
      (expectedPrompt as ChatMessage[]).map((message) => exportMessage(message)),
    );
    assert.equal(
      rows.find((row) => row.turn_index === 0)?.prompt.length,
      2,
      'an uncompacted turn gets the whole history',
    );
  });
});
