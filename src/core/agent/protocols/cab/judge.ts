/**
 * The judge of the CodeAssistBench protocol. As in CodeAssistBench, it reads the user's question with the
 * reference thread (how the project's maintainers actually answered it, treated as the authoritative
 * baseline), the user's satisfaction conditions and the agent's final answer, plus the Docker validation when
 * the task has one, and gives one VERDICT, mapped to a reward. A failed Docker validation makes the verdict
 * INCORRECT whatever the judge wrote, as CodeAssistBench rules.
 */
import type { Task } from '../../../task/task';
import type { ChatMessage, Policy, PolicyResponse } from '../../policies/policy';
import type { DockerValidation } from './dockerValidation';

export const VERDICTS = ['CORRECT', 'PARTIALLY CORRECT', 'INCORRECT'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const VERDICT_REWARD: Record<Verdict, number> = { CORRECT: 1, 'PARTIALLY CORRECT': 0.5, INCORRECT: 0 };

/** A line that labels a verdict: `VERDICT:`, `**Final Verdict**:`, `## 5. VERDICT`, `` `verdict` = ``… */
const VERDICT_LABEL = /^[\s\W\d_]*(?:(?:final|overall)\s+)?verdict\b[\s*_`#:=\-–—]*/i;

/**
 * The judge's verdict: the last line labelled as one that names exactly one verdict, the value on the label's
 * line or on the next non-empty line, in any letter case, through markdown emphasis, backticks and brackets.
 * A line quoting the choices (`CORRECT/PARTIALLY CORRECT/INCORRECT`) is the format, not a verdict, and
 * `NOT CORRECT` is no verdict at all.
 */
export function parseVerdict(raw: string): Verdict | undefined {
  const lines = raw.split('\n');
  let verdict: Verdict | undefined;
  for (const [index, line] of lines.entries()) {
    const label = VERDICT_LABEL.exec(line);
    if (!label) continue;
    const rest = line.slice(label[0].length);
    const value = /\w/.test(rest) ? rest : (lines.slice(index + 1).find((next) => next.trim()) ?? '');
    verdict = verdictNamed(value) ?? verdict;
  }
  return verdict;
}

function verdictNamed(value: string): Verdict | undefined {
  const words = value
    .replace(/[*`[\]"'()]/g, ' ')
    .replace(/_/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toUpperCase();
  if (/\bNOT\s+(?:PARTIALLY\s+)?CORRECT\b/.test(words)) return undefined;
  const leading = /^(PARTIALLY CORRECT|INCORRECT|CORRECT)\b(.*)$/.exec(words);
  if (leading) return /^\s*[/|]/.test(leading[2]) ? undefined : (leading[1] as Verdict);
  // A sentence that names one verdict (`VERDICT: on balance, PARTIALLY CORRECT.`).
  const named = new Set([...words.matchAll(/\b(PARTIALLY CORRECT|INCORRECT|CORRECT)\b/g)].map((match) => match[1]));
  return named.size === 1 ? ([...named][0] as Verdict) : undefined;
}

/**
 * The verdict that scores the run: the judge's, unless the Docker validation failed, which makes it INCORRECT
 * whatever the judge wrote (or whether it wrote one), as CodeAssistBench rules. `written` is the judge's own
 * when it was overruled.
 */
export function verdictOf(
  raw: string,
  validation?: Pick<DockerValidation, 'success'>,
): { verdict?: Verdict; written?: Verdict } {
  const written = parseVerdict(raw);
  if (validation && !validation.success) return { verdict: 'INCORRECT', written };
  return { verdict: written, written };
}

/** `X/Y CONDITIONS MET`, when the judge wrote it. */
export function parseAlignment(raw: string): { satisfied: number; total: number } | undefined {
  const match = /(\d+)\s*\/\s*(\d+)\s+conditions?\s+met/i.exec(raw.replace(/[*`]/g, ''));
  return match ? { satisfied: Number(match[1]), total: Number(match[2]) } : undefined;
}

const JUDGE_SYSTEM = [
  "You judge a maintainer's answer to a user's technical question about a software project.",
  "You are given the user's question with its reference thread: how the project's maintainers actually answered it, with the solution that was accepted. Take the reference as the baseline of what is technically right: a good answer agrees with its approach, suggestions and code.",
  'Assess:',
  '- technical correctness: would the answer work, does it agree with the reference? Any error, even a minor one, counts against it;',
  "- each of the user's satisfaction conditions: met (TRUE) or not (FALSE);",
  '- verbosity, noted apart: it does not change the verdict.',
  'Reply in this format:',
  'TECHNICAL CORRECTNESS: CORRECT | PARTIALLY CORRECT | INCORRECT',
  'ALIGNMENT SCORE: X/Y CONDITIONS MET (Z%)',
  'CONDITION 1: TRUE | FALSE, the condition and why',
  '(one line per condition)',
  'VERBOSITY: CONCISE | APPROPRIATE | VERBOSE',
  'VERDICT: CORRECT | PARTIALLY CORRECT | INCORRECT',
  'KEY ISSUES: every problem with the answer',
  'REASONING: why this verdict',
  'CORRECT: technically sound and every condition met. PARTIALLY CORRECT: only minor technical problems, or only some conditions met. INCORRECT: a significant technical error, or no condition met.',
].join('\n');

const DOCKER_RULE =
  'This task comes with a Docker environment. An answer can only be CORRECT or PARTIALLY CORRECT if the Docker validation below succeeded; if it failed, the verdict is INCORRECT.';

export function judgeMessages(
  task: Task,
  finalAnswer: string,
  patch: string,
  validation?: DockerValidation,
): ChatMessage[] {
  const cab = task.cab;
  if (!cab) throw new Error(`task ${task.id}: the judge needs a CodeAssistBench task (with satisfaction conditions)`);
  const thread = cab.comments.map((comment) => `[${comment.user || 'unknown'}]:\n${comment.body.trim()}`).join('\n\n');
  const user = [
    `<question title="${cab.title}">\n${task.problemStatement.trim()}\n</question>`,
    `<reference_thread>\n${thread || '(no comments)'}\n</reference_thread>`,
    `The user's satisfaction conditions:\n${cab.satisfactionConditions.map((condition, index) => `${index + 1}. ${condition}`).join('\n')}`,
    `<answer>\n${finalAnswer.trim() || '(the maintainer gave no answer)'}\n</answer>`,
    `The maintainer's changes to the repository:\n${patch.trim() ? `\`\`\`diff\n${patch.trim()}\n\`\`\`` : '(none)'}`,
    ...(validation
      ? [`Docker validation: ${validation.success ? 'succeeded' : 'FAILED'}\n\`\`\`\n${validation.log.trim()}\n\`\`\``]
      : []),
  ].join('\n\n');
  return [
    { role: 'system', content: validation ? `${JUDGE_SYSTEM}\n${DOCKER_RULE}` : JUDGE_SYSTEM },
    { role: 'user', content: user },
  ];
}

export interface Judgement {
  /** Undefined when the reply named no verdict: the run is then unscored. */
  verdict?: Verdict;
  /** What the judge wrote (null: no verdict), when the Docker validation overruled it. */
  judgeVerdict?: Verdict | null;
  reward: number | null;
  alignment?: { satisfied: number; total: number };
  raw: string;
  response: PolicyResponse;
}

/** Asks the judge for a verdict. Policy errors (the judge model failing) propagate. */
export async function judgeAnswer(
  policy: Policy,
  task: Task,
  finalAnswer: string,
  patch: string,
  validation: DockerValidation | undefined,
  signal?: AbortSignal,
): Promise<Judgement> {
  const response = await policy.next({
    messages: judgeMessages(task, finalAnswer, patch, validation),
    tools: [],
    signal,
  });
  const raw = response.message.content ?? '';
  const { verdict, written } = verdictOf(raw, validation);
  return {
    verdict,
    ...(verdict !== written ? { judgeVerdict: written ?? null } : {}),
    reward: verdict ? VERDICT_REWARD[verdict] : null,
    alignment: parseAlignment(raw),
    raw,
    response,
  };
}
