/**
 * The simulated user of the CodeAssistBench protocol: a model playing the person who opened the issue. As in
 * CodeAssistBench, it knows only what that person knew (the issue's title and body, and the conditions an
 * answer must meet to satisfy them), never how the real thread went. Each round it reads the conversation so
 * far, and the Docker validation when the task has one, and writes its next reply, ending with a status
 * section that is cut off before the agent sees the reply.
 */
import type { Task } from '../../../task/task';
import type { ChatMessage, Policy, PolicyResponse } from '../../policies/policy';
import type { DockerValidation } from './dockerValidation';

export const SATISFACTION_STATUSES = ['FULLY_SATISFIED', 'PARTIALLY_SATISFIED', 'NOT_SATISFIED'] as const;
export type SatisfactionStatus = (typeof SATISFACTION_STATUSES)[number];

export interface Satisfaction {
  /** What the agent is shown: the reply up to its first status or reason line. */
  message: string;
  status: SatisfactionStatus;
  /** Why the user is (not) satisfied, from the REASON line when there is one. */
  reason?: string;
  /** False when the reply named no known status; it then counts as NOT_SATISFIED. */
  statusParsed: boolean;
}

/** One exchange of the conversation as the simulated user reads it. */
export interface ConversationEntry {
  speaker: 'maintainer' | 'user';
  text: string;
}

/**
 * A line that opens with a label of the hidden section (`SATISFACTION_STATUS`, `Status`, `Satisfaction`, `Reason`),
 * however the model dresses it: emphasis, heading, quote or list marks, any case, the value after `:` or on the
 * next line.
 */
const SECTION_LABEL =
  /^[\s*_#>`|-]*(satisfaction[ _-]?status|satisfaction|status|reasons?)[\s*_`]*(?:[:=\u2013\u2014-]|$)/i;
/** The format's own status label is unmistakable even after the reply's last words on the same line. */
const STATUS_LABEL = /satisfaction[ _-]?status/i;
/** A status written without its label is the section too: no reply to a maintainer spells one this way. */
const BARE_STATUS = /^[\s*_#>`[|-]*(?:fully|partially|not)_satisfied\b/i;
/** Emphasis, code marks, brackets and separators around a label or a value. */
const DECORATION = /[*_`[\]"'|:=\s-]+/g;

interface SectionLine {
  kind: 'status' | 'reason';
  /** Where on its line the section starts: what comes before it is still the reply. */
  start: number;
  /** What follows the label (the whole line for a bare status). */
  value: string;
}

function sectionLine(line: string): SectionLine | undefined {
  const labelled = SECTION_LABEL.exec(line);
  if (labelled)
    return {
      kind: /^reason/i.test(labelled[1]) ? 'reason' : 'status',
      start: 0,
      value: line.slice(labelled[0].length),
    };
  const inline = STATUS_LABEL.exec(line);
  if (inline) return { kind: 'status', start: inline.index, value: line.slice(inline.index + inline[0].length) };
  return BARE_STATUS.test(line) ? { kind: 'status', start: 0, value: line } : undefined;
}

/**
 * Reads the status section, tolerating markdown emphasis, backticks, brackets, a value on the next line, any
 * letter case, the labels `Status` and `Satisfaction`, and the REASON line before the status. The first status
 * line naming exactly one known status counts; a line listing them all (the format, quoted back) does not.
 * Everything from the first status or reason line on is cut from what the agent sees, whether or not a status
 * could be read: the reason paraphrases the conditions the agent must not be told.
 */
export function parseSatisfaction(raw: string): Satisfaction {
  const lines = raw.split('\n');
  const marked = lines.map(sectionLine);
  const first = marked.findIndex((line) => line !== undefined);
  if (first === -1) return { message: raw.trim(), status: 'NOT_SATISFIED', statusParsed: false };
  const before = [...lines.slice(0, first), lines[first].slice(0, marked[first]?.start)];
  const message = before
    .join('\n')
    .replace(/[\s*_#>`-]+$/, '')
    .trim();
  const valueOf = (line: SectionLine, index: number): string =>
    line.value.replace(DECORATION, '') ? line.value : (lines.slice(index + 1).find((next) => next.trim()) ?? '');
  let status: SatisfactionStatus | undefined;
  let reason: string | undefined;
  for (const [index, line] of marked.entries()) {
    if (line?.kind === 'status') status ??= statusNamed(valueOf(line, index));
    if (line?.kind === 'reason') reason ??= valueOf(line, index).replace(/[*`]/g, '').trim() || undefined;
  }
  return {
    message,
    status: status ?? 'NOT_SATISFIED',
    ...(reason ? { reason } : {}),
    statusParsed: status !== undefined,
  };
}

function statusNamed(value: string): SatisfactionStatus | undefined {
  const words = value
    .replace(/[*`[\]"'.:=]/g, ' ')
    .replace(/[_-]/g, ' ')
    .toUpperCase();
  const named = [...words.matchAll(/\b(FULLY|PARTIALLY|NOT) SATISFIED\b/g)].map((match) => match[1]);
  // `FULLY | PARTIALLY | NOT` is the format quoted back, not an answer; `NOT FULLY SATISFIED` is no known status.
  if (new Set(named).size !== 1 || /\bNOT\s+FULLY\b/.test(words)) return undefined;
  const leading = words.trim().match(/^(FULLY|PARTIALLY|NOT) SATISFIED\b/)?.[1];
  return leading ? (`${leading}_SATISFIED` as SatisfactionStatus) : undefined;
}

function numbered(items: string[]): string {
  return items.map((item, index) => `${index + 1}. ${item}`).join('\n');
}

/** The user model's two messages: who it is and what it needs, then the conversation so far. */
export function userMessages(
  task: Task,
  conversation: ConversationEntry[],
  validation?: DockerValidation,
): ChatMessage[] {
  const cab = task.cab;
  if (!cab)
    throw new Error(`task ${task.id}: a simulated user needs a CodeAssistBench task (with satisfaction conditions)`);
  const system = [
    "You are the person who opened an issue on a software project's tracker. One of the project's maintainers is answering you.",
    `The title of your question: "${cab.title}"`,
    `What you need from an answer (your satisfaction conditions):\n${numbered(cab.satisfactionConditions)}`,
    [
      'How to reply:',
      "- Read the maintainer's latest answer against your conditions. Say what is unclear or looks wrong, and ask follow-up questions.",
      '- You do not know the answer yourself: do not propose solutions or technical fixes.',
      '- Be satisfied only when every one of your conditions is met; when you are unsure, ask instead.',
    ].join('\n'),
    ...(validation
      ? [
          `The maintainer's changes were tried in the project's Docker environment, and the check ${validation.success ? 'succeeded' : 'failed'}. Use this to judge whether the answer works. Its output:\n\`\`\`\n${validation.log.trim()}\n\`\`\``,
        ]
      : []),
    'After your reply, end with this section, its status line first (the maintainer sees nothing from that line on):\nSATISFACTION_STATUS: FULLY_SATISFIED | PARTIALLY_SATISFIED | NOT_SATISFIED\nREASON: <one sentence>',
  ].join('\n\n');
  const opening: ConversationEntry = { speaker: 'user', text: `${cab.title}\n\n${issueBody(task)}`.trim() };
  const transcript = [opening, ...conversation]
    .map((entry) => {
      const tag = entry.speaker === 'user' ? 'you' : 'maintainer';
      return `<${tag}>\n${entry.text.trim() || '(an empty message)'}\n</${tag}>`;
    })
    .join('\n');
  return [
    { role: 'system', content: system },
    {
      role: 'user',
      content: `Your question:\n${issueBody(task) || '(no description)'}\n\nThe conversation so far:\n${transcript}\n\nWrite your next reply to the maintainer, then the status section.`,
    },
  ];
}

/** The issue's body: the problem statement without the title that the loader puts first. */
function issueBody(task: Task): string {
  const title = task.cab?.title ?? '';
  const statement = task.problemStatement.trim();
  return (statement.startsWith(title) ? statement.slice(title.length) : statement).trim();
}

export interface UserReply extends Satisfaction {
  /** The reply exactly as the model wrote it. */
  raw: string;
  response: PolicyResponse;
}

/** The user's next reply. Policy errors (the user model failing) propagate. */
export async function askUser(
  policy: Policy,
  task: Task,
  conversation: ConversationEntry[],
  validation: DockerValidation | undefined,
  signal?: AbortSignal,
): Promise<UserReply> {
  const response = await policy.next({ messages: userMessages(task, conversation, validation), tools: [], signal });
  const raw = response.message.content ?? '';
  return { ...parseSatisfaction(raw), raw, response };
}
