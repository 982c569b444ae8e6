/**
 * The judge step of the CodeAssistBench protocol: a model reads the issue, the satisfaction conditions and
 * the whole conversation (with the agent's final patch) and gives one VERDICT, mapped to a reward.
 */
import type { Task } from '../../task/task';
import type { Policy, PolicyResponse } from '../policies/policy';

export const VERDICTS = ['CORRECT', 'PARTIALLY CORRECT', 'INCORRECT'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const VERDICT_REWARD: Record<Verdict, number> = { CORRECT: 1, 'PARTIALLY CORRECT': 0.5, INCORRECT: 0 };

/** One exchange of the conversation as the judge reads it. */
export interface TranscriptEntry {
  speaker: 'maintainer' | 'user';
  text: string;
}

export interface JudgeResult {
  /** Undefined when the judge's reply named no verdict: the run then has no reward. */
  verdict?: Verdict;
  reward: number | null;
  raw: string;
  response: PolicyResponse;
}

/** The last VERDICT line wins, as the judge may quote the format before giving its own. */
export function parseVerdict(raw: string): Verdict | undefined {
  const lines = [...raw.matchAll(/^[\s*_#>-]*VERDICT\s*[:*]*\s*\[?\s*(PARTIALLY[ _]CORRECT|INCORRECT|CORRECT)\b/gim)];
  const last = lines.at(-1)?.[1].toUpperCase().replace('_', ' ');
  return VERDICTS.find((verdict) => verdict === last);
}

function judgePrompt(task: Task, transcript: TranscriptEntry[], patch: string): string {
  const cab = task.cab;
  if (!cab) throw new Error(`task ${task.id}: the judge needs a CodeAssistBench task (with satisfaction conditions)`);
  return [
    `<issue title="${cab.title}">\n${task.problemStatement.trim()}\n</issue>`,
    `The user's satisfaction conditions:\n${cab.satisfactionConditions.map((condition, index) => `${index + 1}. ${condition}`).join('\n')}`,
    `The conversation:\n${transcript.map((entry) => `<${entry.speaker}>\n${entry.text.trim()}\n</${entry.speaker}>`).join('\n')}`,
    `The maintainer's changes to the repository:\n${patch.trim() ? `\`\`\`diff\n${patch.trim()}\n\`\`\`` : '(none)'}`,
  ].join('\n\n');
}

const JUDGE_SYSTEM = [
  "You judge a maintainer's answer to a user's technical question about a repository.",
  "Check technical correctness (are there errors, would it work?) and, condition by condition, whether each of the user's satisfaction conditions is met.",
  'List the conditions as CONDITION n: TRUE|FALSE with a short reason, then the key issues, then your reasoning.',
  'End with exactly one line: VERDICT: CORRECT | PARTIALLY CORRECT | INCORRECT',
  '- CORRECT: technically sound and every condition met.',
  '- PARTIALLY CORRECT: minor technical issues, or only some conditions met.',
  '- INCORRECT: significant technical errors, or no condition met.',
].join('\n');

/** Asks the judge for a verdict. Policy errors (the judge model failing) propagate. */
export async function judgeConversation(
  policy: Policy,
  task: Task,
  transcript: TranscriptEntry[],
  patch: string,
  signal?: AbortSignal,
): Promise<JudgeResult> {
  const response = await policy.next({
    messages: [
      { role: 'system', content: JUDGE_SYSTEM },
      { role: 'user', content: judgePrompt(task, transcript, patch) },
    ],
    tools: [],
    signal,
  });
  const raw = response.message.content ?? '';
  const verdict = parseVerdict(raw);
  return { verdict, reward: verdict ? VERDICT_REWARD[verdict] : null, raw, response };
}
