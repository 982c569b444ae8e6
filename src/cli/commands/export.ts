import { readFile } from 'node:fs/promises';
import { EXPORT_FORMATS, DEFAULT_DPO_MIN_MARGIN, exportDataset } from '../../core/export/exporter';
import type { ExportFormatName } from '../../core/export/format';
import { parseSplit } from '../../core/export/split';
import { shellQuote } from '../../core/shellWords';
import type { CliCommand } from './index';
import { numberOption, parseCommandLine, usageProblem, UsageError } from '../grammar';

const USAGE = `usage: rollout export --runs DIR… --format ${Object.keys(EXPORT_FORMATS).join('|')} --out DIR
         [--min-reward R] [--resolved-only] [--split val=0.1] [--min-margin M] [--dpo-completion turn|remainder]
         [--tool-arguments object|string] [--tool-calls structured|text] [--secrets-file FILE]

  --runs         output folders of \`rollout run\`, run folders or trajectory.jsonl files
  --format       sft: OpenAI chat JSONL {messages, tools, metadata}
                 dpo: preference pairs {prompt, chosen, rejected} from attempts at the same task
                 rl: one row per turn with return and GRPO group-normalised advantage
                 swebench-preds: {instance_id, model_name_or_path, model_patch}, best attempt per task,
                   as preds.jsonl and preds.json (a JSON array, for SWE-bench Pro's harness)
                 swe-agent-traj: one SWE-agent .traj per run
  --out          folder for the files and the dataset card (README.md)
  --split        hold out a fraction of tasks (never of runs), e.g. val=0.1
  --min-margin   dpo: least reward difference between chosen and rejected, above 0 (default ${DEFAULT_DPO_MIN_MARGIN})
  --dpo-completion  dpo: chosen/rejected are the assistant turn where the attempts part (turn, default) or
                 everything from it on (remainder)
  --tool-arguments  sft, dpo, rl: tool-call arguments as JSON objects (object, default: TRL, axolotl, unsloth,
                 the Qwen2.5 / Llama 3.x / Qwen3 templates) or as JSON text (string: OpenAI fine-tuning)
  --tool-calls   sft, dpo, rl: structured OpenAI tool_calls and tool messages (default), or text: calls as JSON
                 lines in the assistant message and tool results as user messages (torchtune's openai loader)
  --secrets-file a file of secrets (one a line) to keep out of the dataset, beyond the secret values in the
                 environment (*_API_KEY, *TOKEN*, *PASSWORD* …); a run whose patch holds one is skipped`;

/** The export's choices as the command line gives them; a bad value is a UsageError naming its flag. */
function exportChoices(values: {
  'min-reward'?: string;
  'resolved-only'?: boolean;
  split?: string;
  'min-margin'?: string;
  'dpo-completion'?: string;
  'tool-arguments'?: string;
  'tool-calls'?: string;
}) {
  return {
    minReward: numberOption('min-reward', values['min-reward']),
    resolvedOnly: values['resolved-only'] ?? false,
    split: values.split ? splitOption(values.split) : undefined,
    minMargin: marginOption(values['min-margin']),
    dpoCompletion: choice('--dpo-completion', values['dpo-completion'], ['turn', 'remainder']),
    style: {
      toolArguments: choice('--tool-arguments', values['tool-arguments'], ['object', 'string']),
      toolCalls: choice('--tool-calls', values['tool-calls'], ['structured', 'text']),
    },
  };
}

function splitOption(text: string) {
  try {
    return parseSplit(text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A margin of 0 or less would pair attempts of equal reward, which prefer neither. */
function marginOption(text: string | undefined): number | undefined {
  const margin = numberOption('min-margin', text);
  if (margin !== undefined && margin <= 0)
    throw new UsageError(
      `--min-margin: expected a number above 0 (pairs of equal rewards prefer neither), got '${text}'`,
    );
  return margin;
}

function choice<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new UsageError(`${flag}: expected ${allowed.join(' or ')}, got '${value}'`);
  return value as T;
}

async function readSecretsFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`--secrets-file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

export const exportCommand: CliCommand = {
  summary: 'export trajectories as training data (sft, dpo, rl) or SWE-bench predictions / SWE-agent trajectories',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'export',
        usage: USAGE,
        required: ['runs', 'format', 'out'],
        options: {
          runs: { type: 'string', multiple: true },
          format: { type: 'string' },
          out: { type: 'string' },
          'min-reward': { type: 'string' },
          'resolved-only': { type: 'boolean' },
          split: { type: 'string' },
          'min-margin': { type: 'string' },
          'secrets-file': { type: 'string' },
          'dpo-completion': { type: 'string' },
          'tool-arguments': { type: 'string' },
          'tool-calls': { type: 'string' },
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const runs = values.runs;
    if (!(values.format in EXPORT_FORMATS)) {
      console.error(
        `rollout export: --format: unknown format '${values.format}'; choose one of ${Object.keys(EXPORT_FORMATS).join(', ')}`,
      );
      return 2;
    }
    let choices;
    try {
      choices = exportChoices(values);
    } catch (error) {
      if (error instanceof UsageError) return usageProblem('export', USAGE, error.message);
      throw error;
    }
    let problems = 0;
    const summary = await exportDataset({
      runs,
      format: values.format as ExportFormatName,
      out: values.out,
      ...choices,
      secrets: values['secrets-file'] ? await readSecretsFile(values['secrets-file']) : [],
      command: ['rollout', 'export', ...args].map(shellQuote).join(' '),
      report: (message) => {
        if (message.startsWith('error:')) problems += 1;
        console.error(message);
      },
    });
    const stats = summary.stats.toJSON();
    console.log(
      `exported ${summary.stats.runs} runs as ${summary.stats.rows} rows to ${values.out} (${summary.files.length} files + README.md)`,
    );
    console.log(JSON.stringify(stats));
    if (problems > 0)
      console.error(`${problems} malformed line(s) found; the runs holding them were skipped, the rest exported`);
    return 0;
  },
};
