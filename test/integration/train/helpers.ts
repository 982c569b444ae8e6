import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTinyModel } from '../../../src/core/train/jobs';
import { ensureVenv } from '../../../src/core/train/venv';
import { VenvRunner } from '../../../src/core/train/venvRunner';

/** The pinned CPU venv (built by sandbox/trainer/setup-venv.sh on first use; CI pre-builds it). */
export async function cpuRunner(): Promise<VenvRunner> {
  return new VenvRunner(await ensureVenv('cpu', (line) => console.error(line)));
}

const created: string[] = [];
process.on('exit', () => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A temporary folder, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `rollout-train-${prefix}-`));
  created.push(dir);
  return dir;
}

/** A tiny random Llama model with a locally trained tokenizer, written by the real runner. */
export async function tinyModel(runner: VenvRunner): Promise<string> {
  const out = join(tempDir('tiny'), 'model');
  const result = await makeTinyModel(runner, out);
  return result.outputs.model as string;
}

export const BASH_TOOL = {
  type: 'function' as const,
  function: {
    name: 'bash',
    description: 'Run a shell command',
    parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
  },
};

/** SFT export lines: multi-turn agent conversations of varied length with tool calls. */
export function sftLines(count: number): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const messages: unknown[] = [
      { role: 'system', content: 'You are a coding agent.' },
      { role: 'user', content: `Fix failing test ${index}.` },
    ];
    for (let turn = 0; turn < 1 + (index % 4); turn += 1) {
      const id = `c${turn}`;
      messages.push({
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id,
            type: 'function',
            function: { name: 'bash', arguments: JSON.stringify({ command: turn % 2 ? 'pytest -q' : 'ls' }) },
          },
        ],
      });
      messages.push({
        role: 'tool',
        tool_call_id: id,
        content: '1 failed, 3 passed\n'.repeat(1 + ((index + turn) % 3)),
      });
    }
    messages.push({ role: 'assistant', content: `Fixed test ${index}.` });
    lines.push(JSON.stringify({ messages, tools: [BASH_TOOL], metadata: { task_id: `t${index}` } }));
  }
  return lines.join('\n') + '\n';
}
