/**
 * Records the bundled reference trajectories: for each example task, one rollout that fixes the bug with
 * edit calls made from the gold patch's hunks ("solved"), and one that looks and gives up, or applies the
 * task's naive fix where it has one ("unsolved"). They run through the real agent loop in real containers,
 * so every observation and diff is what the tools produced. `rollout demo` re-issues them when no model is
 * configured, and they give the DPO export its pairs.
 *   node out/scripts/make-reference-trajectories.js [TASK_ID…]
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordedPolicy } from '../src/core/agent/policies/recordedPolicy';
import type { AssistantMessage } from '../src/core/agent/policies/policy';
import { runRollout } from '../src/core/agent/rollout';
import { createDefaultToolbox } from '../src/core/agent/tools/toolbox';
import { dockerEvaluatorOptions } from '../src/core/reward/dockerEvaluatorOptions';
import { environmentFor, testCommandFor } from '../src/core/task/environment';
import { loadTasksStrict } from '../src/core/task/loadTasks';
import type { Task } from '../src/core/task/task';
import { packageRoot } from '../src/core/paths';

interface FileChange {
  path: string;
  created: boolean;
  hunks: { before: string; after: string }[];
}

/** The files and hunks of a unified diff, each hunk as the text it replaces and the text it leaves. */
function parsePatch(patch: string): FileChange[] {
  const files: FileChange[] = [];
  let current: FileChange | undefined;
  let hunk: { before: string[]; after: string[] } | undefined;
  const closeHunk = () => {
    if (current && hunk) current.hunks.push({ before: hunk.before.join('\n'), after: hunk.after.join('\n') });
    hunk = undefined;
  };
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      closeHunk();
      current = { path: line.split(' b/')[1], created: false, hunks: [] };
      files.push(current);
    } else if (line.startsWith('new file mode') && current) {
      current.created = true;
    } else if (line.startsWith('@@')) {
      closeHunk();
      hunk = { before: [], after: [] };
    } else if (hunk && !line.startsWith('\\')) {
      if (line.startsWith('-')) hunk.before.push(line.slice(1));
      else if (line.startsWith('+')) hunk.after.push(line.slice(1));
      else if (line.startsWith(' ') || line === '') {
        hunk.before.push(line.slice(1));
        hunk.after.push(line.slice(1));
      }
    }
  }
  closeHunk();
  return files;
}

let callCounter = 0;
function call(name: string, args: Record<string, unknown>, content: string): AssistantMessage {
  callCounter++;
  return {
    role: 'assistant',
    content,
    tool_calls: [
      { id: `call_ref_${callCounter}`, type: 'function', function: { name, arguments: JSON.stringify(args) } },
    ],
  };
}

function editsFor(patch: string): AssistantMessage[] {
  return parsePatch(patch).flatMap((file) =>
    file.created
      ? [
          call(
            'edit',
            { command: 'create', path: file.path, file_text: `${file.hunks.map((hunk) => hunk.after).join('\n')}\n` },
            `I'll add ${file.path}.`,
          ),
        ]
      : file.hunks.map((hunk) =>
          call(
            'edit',
            {
              command: 'str_replace',
              path: file.path,
              old_str: hunk.before.replace(/\n+$/, ''),
              new_str: hunk.after.replace(/\n+$/, ''),
            },
            `Now I'll change ${file.path}.`,
          ),
        ),
  );
}

function plans(task: Task, taskDir: string): Record<string, AssistantMessage[]> {
  const firstFile = parsePatch(task.goldPatch)[0].path;
  const look = call(
    'code_map',
    { path: firstFile },
    `Let me find where the issue comes from, starting with the symbols in ${firstFile}.`,
  );
  const view = call('view', { path: firstFile }, 'And the code itself.');
  const tests = call(
    'bash',
    { command: testCommandFor(environmentFor(task), { ...task, testPatch: '' }) },
    'Let me run the existing tests.',
  );
  const naive = join(taskDir, 'naive.patch');
  return {
    solved: [
      look,
      view,
      ...editsFor(task.goldPatch),
      tests,
      call('submit', { summary: 'Fixed the issue.' }, 'The fix is in place.'),
    ],
    unsolved: existsSync(naive)
      ? [
          look,
          view,
          ...editsFor(readFileSync(naive, 'utf8')),
          call('submit', { summary: 'Fixed the reported case.' }, 'That handles the case in the issue.'),
        ]
      : [
          look,
          view,
          call('submit', { summary: 'Could not find the cause.' }, 'I could not find the cause of the issue.'),
        ],
  };
}

async function main(): Promise<void> {
  const examples = join(packageRoot(), 'tasks', 'examples');
  const wanted = process.argv.slice(2);
  const tasks = (await loadTasksStrict(examples)).filter((task) => wanted.length === 0 || wanted.includes(task.id));
  const evaluator = await dockerEvaluatorOptions({ runId: 'reference' });
  const scratch = mkdtempSync(join(tmpdir(), 'rollout-reference-'));
  let failures = 0;
  for (const task of tasks) {
    const taskDir = join(examples, task.id);
    for (const [kind, messages] of Object.entries(plans(task, taskDir))) {
      const summary = await runRollout({
        task,
        policy: new RecordedPolicy(messages, `reference-${kind}`),
        policySpec: `reference:${kind}`,
        toolbox: createDefaultToolbox(),
        protocol: { reward: 'binary' },
        outDir: scratch,
        runId: `${task.id}.reference-${kind}`,
        evaluator,
        createSandbox: evaluator.createSandbox,
      });
      const expected = kind === 'solved';
      const ok = summary.exitStatus === 'submitted' && summary.resolved === expected;
      if (!ok) failures++;
      console.log(
        `${ok ? 'ok  ' : 'FAIL'} ${task.id} ${kind}: ${summary.exitStatus}, resolved ${summary.resolved}, ${summary.turns} turns${summary.reason ? ` — ${summary.reason}` : ''}`,
      );
      if (ok) {
        const target = join(taskDir, 'reference', kind);
        rmSync(target, { recursive: true, force: true });
        cpSync(join(scratch, summary.runId), target, { recursive: true });
      }
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  if (failures) throw new Error(`${failures} reference trajectory(ies) did not come out as planned`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
