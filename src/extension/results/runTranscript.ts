/**
 * A run as plain text, one block per turn, so that two runs of a task side by side in the diff editor line up
 * turn by turn. Pure: no vscode.
 */
import { patchFiles } from '../../core/trajectory/patchFiles';
import type { Trajectory } from '../../core/trajectory/types';

/** Lines of a tool's output shown per call; the rest is counted. */
const OUTPUT_LINES = 12;

export function runTranscript(trajectory: Trajectory): string {
  const { run, turns, result } = trajectory;
  const header = [
    `run ${run.run_id} · task ${run.task_id} · attempt ${run.attempt + 1} · ${run.policy}`,
    result
      ? `outcome: ${result.exit_status}, reward ${result.reward?.value ?? 'not scored'}${result.reward?.resolved ? ', resolved' : ''}`
      : 'outcome: unfinished',
  ];
  const blocks = turns.map((turn) => {
    const lines = [`── turn ${turn.index + 1} ──`];
    for (const message of turn.messages) {
      if (message.role === 'tool') continue;
      if (message.content) lines.push(`${message.role}: ${message.content.trim()}`);
      for (const call of message.tool_calls ?? []) lines.push(`→ ${call.function.name} ${call.function.arguments}`);
    }
    for (const observation of turn.observations) {
      const output = observation.output.split('\n');
      const status = observation.exit_code === undefined ? '' : ` (exit ${observation.exit_code})`;
      lines.push(`← ${observation.tool}${status}${observation.is_error ? ' error' : ''}`);
      lines.push(...output.slice(0, OUTPUT_LINES).map((line) => `  ${line}`));
      if (output.length > OUTPUT_LINES) lines.push(`  … ${output.length - OUTPUT_LINES} more lines`);
    }
    if (turn.diff !== undefined) lines.push(`files changed: ${changedFiles(turn.diff)}`);
    return lines.join('\n');
  });
  return `${[header.join('\n'), ...blocks].join('\n\n')}\n`;
}

function changedFiles(patch: string): string {
  const names = patchFiles(patch).map((file) => file.newPath ?? `${file.oldPath} (deleted)`);
  return names.length ? names.join(', ') : 'none';
}
