/**
 * The small batch the CLI faults run: attempts of one example task (real Docker) under the OpenAI wire-protocol
 * test double answering by the conversation's length (view, edit, run, submit), so a resumed run gets the same
 * answers as an uninterrupted one.
 */
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerClient, LABELS } from '../../../src/core/sandbox/engine';
import { TRAJECTORY_FILE } from '../../../src/core/trajectory/reader';
import { ScriptedOpenAIServer, step, type ScriptStep } from '../../support/scriptedOpenAIServer';

// Bundled into out/test/faults/*.js and out/bench/faults/index.js: three folders below the root either way.
const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const TASKS = join(ROOT, 'tasks', 'examples');
export const TASK_ID = 'pagekit__pagekit-14';
/** Attempts of the task in one batch: two rollouts at once. */
export const BATCH_ATTEMPTS = 2;

/** The agent's answers, by the number of answers the conversation already holds: view, edit, run, submit. */
export const ANSWERS: ScriptStep[] = [
  step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 44, end_line: 49 }),
  step.toolCall('edit', {
    command: 'str_replace',
    path: 'pagekit/paginator.py',
    old_str: 'return self.count // self.per_page + 1',
    new_str: 'return -(-self.count // self.per_page)',
  }),
  step.toolCall('bash', { command: 'grep -n "per_page)" pagekit/paginator.py' }),
  step.toolCall('submit', { summary: 'ceil division' }),
];

function answerByLength(request: { body?: Record<string, unknown> }): ScriptStep {
  const messages = (request.body?.messages ?? []) as { role: string }[];
  const answered = messages.filter((message) => message.role === 'assistant').length;
  return ANSWERS[Math.min(answered, ANSWERS.length - 1)];
}

/**
 * The model server of the batch. While `holding()` says so, each answer waits `HOLD_MS` first, so that a fault due at
 * a turn finds the batch's jobs still running (a batch that runs on while the fault is struck may end before it).
 */
export function startModelServer(holding: () => boolean = () => false): Promise<ScriptedOpenAIServer> {
  const respond = (request: { body?: Record<string, unknown> }): ScriptStep => {
    const answer = answerByLength(request);
    return holding() && answer.type === 'tool_calls' ? { ...answer, delayMs: HOLD_MS } : answer;
  };
  return ScriptedOpenAIServer.start([], { respond });
}

/** How long an answer waits while a fault is due: far longer than striking it takes. */
const HOLD_MS = 2000;

/** `rollout run` of `attempts` attempts (as many workers) into `outDir`, and any further arguments. */
export function rolloutCli(baseURL: string, outDir: string, attempts: number, extra: string[] = []) {
  const args = ['run', '--tasks', TASKS, '--ids', TASK_ID, '--attempts', String(attempts)];
  args.push('--workers', String(attempts), '--out', outDir, ...extra, '--policy', `openai:scripted@${baseURL}`);
  return spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OPENAI_API_KEY: 'sk-fault-test' },
  });
}

export async function finished(
  child: ReturnType<typeof rolloutCli>,
): Promise<{ status: number | null; output: string }> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { status, output };
}

/** The complete lines of a log that parse, and the count of those that do not. */
export function completeLines(path: string): { events: { type?: string }[]; unparsable: number } {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n').slice(0, -1);
  const events: { type?: string }[] = [];
  let unparsable = 0;
  for (const line of lines)
    try {
      events.push(JSON.parse(line) as { type?: string });
    } catch {
      unparsable++;
    }
  return { events, unparsable };
}

/** Containers, running or not, that the process `pid` started (on the engine at `host`, the default one without). */
export async function containersOf(pid: number, host?: string): Promise<number> {
  const containers = await dockerClient(host).listContainers({
    all: true,
    filters: { label: [`${LABELS.ownerPid}=${pid}`] },
  });
  return containers.length;
}

/** The turns of a whole batch: the points at which a fault may strike. */
export const BATCH_TURNS = BATCH_ATTEMPTS * ANSWERS.length;

/** The turn lines the batch's logs in `outDir` hold now. */
export function turnsRecorded(outDir: string): number {
  return runDirs(outDir).reduce((total, runId) => {
    const path = join(outDir, runId, TRAJECTORY_FILE);
    return total + (existsSync(path) ? completeLines(path).events.filter((event) => event.type === 'turn').length : 0);
  }, 0);
}

/** The batch's run folders in `outDir`. */
export function runDirs(outDir: string): string[] {
  return readdirSync(outDir).filter((name) => name.startsWith(`${TASK_ID}.`));
}

/** `tries` points of [0, span), drawn from `seed` (fast-check's generator, so the seed replays them). */
export function seededPoints(tries: number, seed: number, span: number): number[] {
  return fc
    .sample(fc.noBias(fc.integer({ min: 0, max: 999_999 })), { seed, numRuns: tries })
    .map((millionths) => (millionths / 1_000_000) * span);
}

/** One figure summed over the tries. */
export function sumOver<Try>(tries: Try[], pick: (one: Try) => number): number {
  return tries.reduce((total, one) => total + pick(one), 0);
}
