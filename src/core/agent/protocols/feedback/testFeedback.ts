/** Feedback source `tests`: the failing tests and the end of the test log, as they are. */
import {
  describeTestRun,
  submissionProblem,
  testRunView,
  type Feedback,
  type FeedbackComposer,
  type FeedbackInput,
} from './feedback';

export const testFeedback: FeedbackComposer = {
  source: 'tests',
  async compose({ task, graded, totalRounds, revealTests }: FeedbackInput): Promise<Feedback> {
    const problem = submissionProblem(graded);
    const body = problem ?? describeTestRun(testRunView(task, graded, revealTests));
    return {
      message: [
        `Your submission (round ${graded.round} of ${totalRounds}) does not resolve the issue yet.`,
        body,
        'Keep working on the fix, then call `submit` again.',
      ].join('\n\n'),
    };
  },
};
