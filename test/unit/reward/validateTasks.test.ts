import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EvaluationResult } from '../../../src/core/reward/evaluator';
import { formatValidations, type TaskValidation } from '../../../src/core/reward/validateTasks';

const result = (status: string) => ({ status }) as unknown as EvaluationResult;

describe('the validation table (rollout validate and Validate Tasks…)', () => {
  test('one row a task, its problems, and the count of valid tasks', () => {
    const validations: TaskValidation[] = [
      { taskId: 'a__b-1', gold: result('resolved'), empty: result('unresolved'), ok: true, problems: [] },
      {
        taskId: 'c-2',
        gold: result('unresolved'),
        empty: result('unresolved'),
        ok: false,
        problems: ['gold patch leaves failing: t1'],
      },
    ];
    assert.equal(
      formatValidations(validations),
      [
        'TASK    GOLD        EMPTY       VALID',
        'a__b-1  resolved    unresolved  yes',
        'c-2     unresolved  unresolved  NO',
        '',
        'problems:',
        '  c-2: gold patch leaves failing: t1',
        '',
        '1/2 task(s) valid',
      ].join('\n'),
    );
  });
});
