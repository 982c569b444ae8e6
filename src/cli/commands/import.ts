import {
  IMPORT_FORMATS,
  importedBeforeNote,
  importTrajectories,
  type ImportFormat,
} from '../../core/trajectory/import/importer';
import type { CliCommand } from './index';
import { parseCommandLine, usageProblem } from '../grammar';

const USAGE = `usage: rollout import FILE --from ${IMPORT_FORMATS.join('|')} --out DIR [--task-id ID]

  swe-agent        a SWE-agent .traj file of any version: 0.x text actions, 1.x function calling
  mini-swe-agent   a mini-swe-agent .traj.json file (1.x, 2.x, or an early bare message list)
  openhands        an OpenHands event stream, 0.x or the 1.x SDK (a JSON list of events, a 1.x
                   conversation folder of event files, JSONL of events, an evaluation record with
                   its history; an output.jsonl of such records, one a line)
  openai           OpenAI-format conversation JSONL, one {messages, tools?, metadata?} a line
  --task-id        task id for a .traj import (default: the file name)`;

export const importCommand: CliCommand = {
  summary: 'import SWE-agent, mini-swe-agent, OpenHands or OpenAI-format trajectories as runs of this project',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'import',
        usage: USAGE,
        required: ['from', 'out'],
        positionals: true,
        options: {
          from: { type: 'string' },
          out: { type: 'string' },
          'task-id': { type: 'string' },
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1)
      return usageProblem('import', USAGE, `one FILE is required (got ${positionals.length})`);
    if (!IMPORT_FORMATS.includes(values.from as ImportFormat)) {
      console.error(
        `rollout import: --from: unknown format '${values.from}'; choose one of ${IMPORT_FORMATS.join(', ')}`,
      );
      return 2;
    }
    const summary = await importTrajectories(positionals[0], values.from as ImportFormat, values.out, {
      taskId: values['task-id'],
    });
    for (const run of summary.runs) console.log(`${run.run_id}  task ${run.task_id}  ${run.turns} turns  ${run.path}`);
    for (const run of summary.importedBefore) console.log(`${run.run_id}  imported before  ${run.path}`);
    console.log(`imported ${summary.runs.length} run(s) into ${values.out}${importedBeforeNote(summary)}`);
    return 0;
  },
};
