/**
 * Feedback source `model`: a feedback model reads the issue, the submitted patch and the test run, and writes
 * advice, as MINT's simulated feedback does. Like MINT's default setting, it is not given the reference fix;
 * hidden test names reach it only when the run reveals them.
 */
import type { RunBudget } from '../../budget';
import type { Policy } from '../../policies/policy';
import {
  describeTestRun,
  submissionProblem,
  testRunView,
  type Feedback,
  type FeedbackComposer,
  type FeedbackInput,
} from './feedback';

const REVIEWER = [
  "You review a developer's attempt to resolve an issue in a repository.",
  'Their change was checked with the repository tests and does not resolve the issue yet.',
  'Write short, concrete advice: what the test results show, and where to look next.',
  'Do not write the fix, and do not write code for it.',
].join('\n');

export function modelFeedback(policy: Policy, budget: RunBudget): FeedbackComposer {
  return {
    source: 'model',
    async compose({ task, graded, patch, totalRounds, revealTests, signal }: FeedbackInput): Promise<Feedback> {
      const results = submissionProblem(graded) ?? describeTestRun(testRunView(task, graded, revealTests));
      const response = await policy.next({
        messages: [
          { role: 'system', content: REVIEWER },
          {
            role: 'user',
            content: [
              `<issue>\n${task.problemStatement.trim()}\n</issue>`,
              `The developer's change:\n${patch.trim() ? `\`\`\`diff\n${patch.trim()}\n\`\`\`` : '(none)'}`,
              `The test results:\n${results}`,
            ].join('\n\n'),
          },
        ],
        tools: [],
        signal,
      });
      const usage = await budget.charge('feedback', response);
      const advice = response.message.content?.trim() || '(the reviewer wrote nothing)';
      return {
        message: [
          `Your submission (round ${graded.round} of ${totalRounds}) does not resolve the issue yet. A reviewer's feedback:`,
          advice,
          'Keep working on the fix, then call `submit` again.',
        ].join('\n\n'),
        usage,
      };
    },
  };
}
