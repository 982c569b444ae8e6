import * as vscode from 'vscode';
import type { Task } from '../../core/task/task';
import type { Trajectory } from '../../core/trajectory/types';
import { gradedTests, notGradedReason, type GradedTest } from './gradedTests';

/** What a shown run's TestRun reported, for the command's caller (and the e2e suite). */
export interface ShownTestResults {
  runId: string;
  tests: GradedTest[];
  notGradedBecause?: string;
}

/**
 * The Test Results view of recorded runs (VS Code's Testing API): one test item per run shown, its children the
 * task's FAIL_TO_PASS and PASS_TO_PASS groups, theirs the tests; showing a run reports its grade as a TestRun.
 */
export class RunTestResults implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController('rolloutStudio.runTests', 'Rollout Studio runs');

  show(trajectory: Trajectory, task?: Task): ShownTestResults {
    const { run, result } = trajectory;
    const tests = gradedTests(result, task);
    const notGradedBecause = notGradedReason(result);
    const root = this.controller.createTestItem(run.run_id, `${run.task_id} · attempt ${run.attempt + 1}`);
    root.description = run.policy;
    const groups = new Map<string, vscode.TestItem>();
    for (const test of tests) {
      let group = groups.get(test.group);
      if (!group) {
        group = this.controller.createTestItem(`${run.run_id}/${test.group}`, test.group);
        groups.set(test.group, group);
        root.children.add(group);
      }
      group.children.add(this.controller.createTestItem(`${run.run_id}/${test.group}/${test.id}`, test.id));
    }
    this.controller.items.add(root);

    const testRun = this.controller.createTestRun(
      new vscode.TestRunRequest([root]),
      `${run.task_id} (${run.run_id})`,
      false,
    );
    if (notGradedBecause) testRun.appendOutput(`${run.run_id}: ${notGradedBecause}\r\n`);
    for (const test of tests) {
      const item = groups.get(test.group)!.children.get(`${run.run_id}/${test.group}/${test.id}`)!;
      if (test.outcome === 'passed') testRun.passed(item);
      else if (test.outcome === 'failed')
        testRun.failed(item, new vscode.TestMessage(failureMessage(test, run.run_id)));
      else testRun.skipped(item);
    }
    testRun.end();
    return { runId: run.run_id, tests, ...(notGradedBecause ? { notGradedBecause } : {}) };
  }

  dispose(): void {
    this.controller.dispose();
  }
}

function failureMessage(test: GradedTest, runId: string): string {
  return test.group === 'FAIL_TO_PASS'
    ? `${test.id} must pass after the fix; with run ${runId}'s patch it failed`
    : `${test.id} passed before; with run ${runId}'s patch it failed`;
}
