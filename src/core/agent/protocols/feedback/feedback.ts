/**
 * Feedback after a submission the tests did not accept (MINT's protocol for code): what the agent may be told
 * of the test run. The hidden FAIL_TO_PASS tests (the ones the reference fix makes pass) are counted but not
 * named, and log lines that name them or their files are withheld, unless the run reveals them.
 */
import type { EvaluationStatus } from '../../../reward/evaluator';
import type { InstanceReport } from '../../../reward/instanceReport';
import type { Task } from '../../../task/task';
import type { RecordedUsage } from '../../budget';
import type { FeedbackSource } from '../protocol';

/** A graded round as its `round_scored` event records it: what feedback is made from. */
export interface GradedRound {
  round: number;
  evaluationStatus: EvaluationStatus;
  error?: string;
  report?: InstanceReport;
  /** The end of the test output, as the evaluator captured it. */
  logTail: string;
}

export interface FeedbackInput {
  task: Task;
  graded: GradedRound;
  /** The submitted work tree as a patch. */
  patch: string;
  /** Rounds the agent has in all (its first submission included). */
  totalRounds: number;
  revealTests: boolean;
  signal?: AbortSignal;
}

export interface Feedback {
  /** What the agent is told. */
  message: string;
  /** The feedback model's call, when a model wrote it. */
  usage?: RecordedUsage;
}

/** One way of writing feedback; each source is one implementation. */
export interface FeedbackComposer {
  readonly source: FeedbackSource;
  compose(input: FeedbackInput): Promise<Feedback>;
}

const LOG_TAIL_LINES = 60;
const LOG_TAIL_CHARS = 4_000;

/** The end of the tests' output, within a size a prompt can take. */
export function logTail(testOutput: string): string {
  const tail = testOutput.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
  return tail.length > LOG_TAIL_CHARS ? tail.slice(-LOG_TAIL_CHARS) : tail;
}

/** The test run as the agent may see it. */
export interface TestRunView {
  /** Existing (PASS_TO_PASS) tests that fail with the submission. */
  brokenTests: string[];
  /** How many of the tests that check the issue (FAIL_TO_PASS) do not pass, of how many. */
  checksNotPassing: number;
  checksTotal: number;
  /** Their names, only when the run reveals them. */
  checksNotPassingNames?: string[];
  log: string;
  /** Log lines left out because they name a hidden test or a file of the hidden test patch. */
  linesWithheld: number;
}

export function testRunView(task: Task, graded: GradedRound, revealTests: boolean): TestRunView {
  const status = graded.report?.tests_status;
  const passedChecks = new Set(status?.FAIL_TO_PASS.success ?? []);
  const notPassing = task.failToPass.filter((test) => !passedChecks.has(test));
  const hiddenWords = revealTests ? [] : hiddenMarkers(task);
  const lines = graded.logTail.split('\n');
  const kept = lines.filter((line) => !hiddenWords.some((word) => line.includes(word)));
  return {
    brokenTests: status?.PASS_TO_PASS.failure ?? [],
    checksNotPassing: notPassing.length,
    checksTotal: task.failToPass.length,
    ...(revealTests ? { checksNotPassingNames: notPassing } : {}),
    log: kept.join('\n'),
    linesWithheld: lines.length - kept.length,
  };
}

/**
 * What gives a hidden test away in a log line: its id, its own name (the id's last part), or a file the hidden
 * test patch adds (a file it only changes is the repository's own, and names the visible tests in it too).
 */
function hiddenMarkers(task: Task): string[] {
  const names = task.failToPass.flatMap((test) => {
    const ownName =
      test
        .split(/::|\s|\.|\//)
        .filter(Boolean)
        .at(-1) ?? '';
    return ownName.length >= 4 ? [test, ownName] : [test];
  });
  const added = [...task.testPatch.matchAll(/^diff --git a\/\S+ b\/(\S+)\nnew file mode/gm)].map((match) => match[1]);
  return [...new Set([...names, ...added])].filter(Boolean);
}

/** The view as plain text, shared by the feedback sources. */
export function describeTestRun(view: TestRunView): string {
  const parts: string[] = [];
  if (view.brokenTests.length)
    parts.push(`Existing tests that fail now:\n${view.brokenTests.map((t) => `- ${t}`).join('\n')}`);
  if (view.checksNotPassingNames?.length)
    parts.push(
      `Tests that check the issue and do not pass yet:\n${view.checksNotPassingNames.map((t) => `- ${t}`).join('\n')}`,
    );
  else if (view.checksNotPassing > 0)
    parts.push(
      `${view.checksNotPassing} of the ${view.checksTotal} tests that check the issue do not pass yet (their names are withheld).`,
    );
  const withheld = view.linesWithheld ? ` (${view.linesWithheld} lines naming withheld tests left out)` : '';
  if (view.log.trim()) parts.push(`The end of the test log${withheld}:\n\`\`\`\n${view.log.trim()}\n\`\`\``);
  return parts.join('\n\n');
}

/** What went wrong with the submission when the tests did not run on it, or did not finish. */
export function submissionProblem(graded: GradedRound): string | undefined {
  switch (graded.evaluationStatus) {
    case 'no-patch':
    case 'empty-patch':
      return 'Your submission changed nothing in the repository.';
    case 'patch-failed':
      return `Your changes could not be applied to a clean checkout: ${graded.error ?? 'the patch did not apply'}.`;
    case 'timed-out':
      return `The tests did not finish in time with your changes${graded.error ? `: ${graded.error}` : ''}.`;
    default:
      return undefined;
  }
}
