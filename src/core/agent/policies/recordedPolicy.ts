/** `recorded:` (formerly `replay:`) re-issues a recorded run's assistant messages, one per call, in order. */
import { readTrajectoryLog } from '../../trajectory/reader';
import { conversation } from '../../trajectory/types';
import type { AssistantMessage, Policy, PolicyInfo, PolicyRequest, PolicyResponse, RecordedCalls } from './policy';

/** The recording has no more assistant messages: the recorded run ended here (or the new run diverged). */
export class RecordingExhaustedError extends Error {
  constructor(
    readonly source: string,
    readonly steps: number,
  ) {
    super(`the recording ${source} has no assistant message after step ${steps}`);
    this.name = 'RecordingExhaustedError';
  }
}

export class RecordedPolicy implements Policy {
  readonly info: PolicyInfo;
  private position = 0;

  /** `source` names the recording in run metadata and errors, e.g. its path. */
  constructor(
    private readonly messages: AssistantMessage[],
    private readonly source = 'recording',
  ) {
    this.info = { backend: 'recorded', model: source, parameters: { steps: messages.length } };
  }

  /** Steps not yet re-issued. */
  get remaining(): number {
    return this.messages.length - this.position;
  }

  /** A resumed run continues from the first step it has not recorded yet, never from the start again. */
  resumeAfter({ answers }: RecordedCalls): void {
    this.position = Math.min(answers, this.messages.length);
  }

  /** The request is not looked at: the policy answers what was recorded, whatever the conversation. */
  async next(_request: PolicyRequest): Promise<PolicyResponse> {
    const message = this.messages[this.position];
    if (!message) throw new RecordingExhaustedError(this.source, this.position);
    this.position++;
    return {
      message: structuredClone(message),
      usage: { promptTokens: 0, completionTokens: 0 },
      modelMs: 0,
      retries: 0,
    };
  }
}

/** The assistant messages of a recorded `trajectory.jsonl`, in conversation order. */
export async function loadRecordedMessages(path: string): Promise<AssistantMessage[]> {
  const { trajectory, problems } = await readTrajectoryLog(path);
  if (!trajectory) {
    const why = problems[0] ? `: line ${problems[0].line}: ${problems[0].message}` : '';
    throw new Error(`${path}: not a trajectory log (no readable run_started line)${why}`);
  }
  return conversation(trajectory)
    .filter((message) => message.role === 'assistant')
    .map((message) => ({
      role: 'assistant',
      content: message.content,
      ...(message.tool_calls?.length ? { tool_calls: message.tool_calls } : {}),
    }));
}
