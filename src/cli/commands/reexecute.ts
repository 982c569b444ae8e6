import { createCliSymbolParser } from '../../core/agent/codemap/nativeTreeSitterParser';
import { reexecuteTrajectory } from '../../core/agent/reexecute';
import { createDefaultToolbox } from '../../core/agent/tools/toolbox';
import { DockerSandbox } from '../../core/sandbox/dockerSandbox';
import { formatProblem, readTrajectoryLog } from '../../core/trajectory/reader';
import { parseCommandLine, usageProblem } from '../grammar';
import type { CliCommand } from './index';

const USAGE = `usage: rollout reexecute TRAJECTORY.jsonl [--json] [--repo DIR]
       rollout replay …  (its former name, the same command)

Re-executes the recorded tool calls in a fresh sandbox and reports every turn whose observation or
work-tree diff differs from the record. Exit code 0 when the run reproduces exactly, 1 when it does not.

options:
  --json      the report as JSON
  --repo DIR  the repository here, when the run was recorded on another machine (a queue worker's cache)`;

function firstDifferentLine(recorded: string, reexecuted: string): string {
  const a = recorded.split('\n');
  const b = reexecuted.split('\n');
  const line = a.findIndex((text, index) => text !== b[index]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}: recorded ${JSON.stringify(a[at] ?? '<end>')}, re-executed ${JSON.stringify(b[at] ?? '<end>')}`;
}

export const reexecuteCommand: CliCommand = {
  summary: 're-execute a recorded trajectory in a fresh sandbox and report the turns that differ',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'reexecute',
        usage: USAGE,
        positionals: true,
        options: { json: { type: 'boolean' }, repo: { type: 'string' } },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) return usageProblem('reexecute', USAGE, 'give one trajectory file');
    const { trajectory, problems } = await readTrajectoryLog(positionals[0]);
    for (const problem of problems) console.error(`warning: ${formatProblem(problem)}`);
    if (!trajectory) {
      console.error(`rollout reexecute: ${positionals[0]} holds no run`);
      return 2;
    }
    const report = await reexecuteTrajectory(
      trajectory,
      (spec) => DockerSandbox.create(spec),
      createDefaultToolbox({ symbolParser: createCliSymbolParser() }),
      { repoDir: values.repo },
    );
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      for (const difference of report.differences) {
        console.log(
          `turn ${difference.turn}: ${difference.kind}${difference.toolCallId ? ` of ${difference.toolCallId}` : ''} differs — ${firstDifferentLine(difference.recorded, difference.reexecuted)}`,
        );
      }
      console.log(
        `${report.turns} turns, ${report.toolCalls} tool calls re-executed: ${report.differences.length === 0 ? 'identical to the record' : `${report.differences.length} difference(s)`}`,
      );
    }
    return report.differences.length === 0 ? 0 : 1;
  },
};
