import { mkdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { writeFileAtomic } from '../atomicFile';
import { DATASET_CARD_FILE, DatasetStats, writeDatasetCard } from './card';
import { dpoFormat, type DpoCompletion } from './dpo';
import type { ExportContext, ExportFormat, ExportFormatName } from './format';
import { Redactor } from '../trajectory/redact';
import { JsonlWriter } from './jsonlWriter';
import { DEFAULT_EXPORT_STYLE, type ExportStyle } from './messages';
import { rlFormat } from './rl';
import { RunSource } from './runs';
import { sftFormat } from './sft';
import type { SplitSpec } from './split';
import { sweAgentTrajFormat } from './sweAgentTraj';
import { swebenchPredsFormat } from './swebenchPreds';

export const EXPORT_FORMATS: Record<ExportFormatName, ExportFormat> = {
  sft: sftFormat,
  dpo: dpoFormat,
  rl: rlFormat,
  'swebench-preds': swebenchPredsFormat,
  'swe-agent-traj': sweAgentTrajFormat,
};

export const DEFAULT_DPO_MIN_MARGIN = 0.5;

export interface ExportOptions {
  /** Trajectory logs, run folders or output folders. */
  runs: string[];
  format: ExportFormatName;
  /** Output folder: the data files and README.md go here. */
  out: string;
  minReward?: number;
  resolvedOnly?: boolean;
  split?: SplitSpec;
  minMargin?: number;
  /** The command line that asked for this export, quoted into the dataset card. */
  command: string;
  /** Malformed lines and skipped logs, one message each (file and line included). */
  report?: (message: string) => void;
  /** Stops the export between runs; the files written so far stay as they are. */
  signal?: AbortSignal;
  /** Secrets to keep out of the dataset (a configured API key), beyond the secret values in the environment. */
  secrets?: string[];
  /** How tool calls are written (sft, dpo, rl); objects in structured `tool_calls` by default. */
  style?: Partial<ExportStyle>;
  /** DPO: the assistant turn where the attempts part (default), or everything from it on. */
  dpoCompletion?: DpoCompletion;
}

export interface ExportSummary {
  files: string[];
  card: string;
  stats: DatasetStats;
}

/** The files an export wrote into its folder, so that the next export there replaces them all. */
const MANIFEST = '.rollout-export.json';

/**
 * Removes the files an earlier export into `out` wrote (its manifest's), so that the folder holds this export's
 * dataset only: a split or a run this export does not write must not stay behind. Nothing else there is touched.
 */
async function removeEarlierExport(out: string): Promise<void> {
  let files: unknown;
  try {
    ({ files } = JSON.parse(await readFile(join(out, MANIFEST), 'utf8')) as { files?: unknown });
  } catch {
    return;
  }
  if (!Array.isArray(files)) return;
  const inside = (file: unknown): file is string =>
    typeof file === 'string' && !isAbsolute(file) && !normalize(file).startsWith('..');
  await Promise.all(files.filter(inside).map((file) => rm(join(out, file), { force: true })));
}

/**
 * Streams the runs into the chosen format, one run (two for DPO) in memory at a time, replacing what an earlier
 * export wrote into the same folder.
 */
export async function exportDataset(options: ExportOptions): Promise<ExportSummary> {
  const format = EXPORT_FORMATS[options.format];
  if (!format)
    throw new Error(
      `--format: unknown format '${options.format}'; choose one of ${Object.keys(EXPORT_FORMATS).join(', ')}`,
    );
  if (options.split && !format.splittable) throw new Error(`--split does not apply to --format ${format.name}`);
  await mkdir(options.out, { recursive: true });
  const stats = new DatasetStats();
  const source = new RunSource(
    options.runs,
    { minReward: options.minReward, resolvedOnly: options.resolvedOnly, requireReward: format.requiresReward },
    stats,
    options.report ?? (() => undefined),
    new Redactor({ secrets: options.secrets }),
    options.signal,
  );
  const writers = new Map<string, JsonlWriter>();
  const files: string[] = [];
  const style: ExportStyle = {
    toolArguments: options.style?.toolArguments ?? DEFAULT_EXPORT_STYLE.toolArguments,
    toolCalls: options.style?.toolCalls ?? DEFAULT_EXPORT_STYLE.toolCalls,
  };
  const context: ExportContext = {
    source,
    stats,
    split: options.split,
    minMargin: options.minMargin ?? DEFAULT_DPO_MIN_MARGIN,
    dpoCompletion: options.dpoCompletion ?? 'turn',
    style,
    outDir: options.out,
    writer(split) {
      let writer = writers.get(split);
      if (!writer) {
        writer = new JsonlWriter(join(options.out, `${split}.jsonl`));
        writers.set(split, writer);
        files.push(`${split}.jsonl`);
      }
      return writer;
    },
    addFile(relativePath) {
      files.push(relativePath);
    },
  };
  await removeEarlierExport(options.out);
  try {
    await format.write(context);
  } finally {
    await Promise.all([...writers.values()].map((writer) => writer.close()));
    await writeFileAtomic(join(options.out, MANIFEST), JSON.stringify({ files: [...files, DATASET_CARD_FILE] }));
  }
  const card = await writeDatasetCard(options.out, {
    format: format.name,
    command: options.command,
    files: files.length > 20 ? [...files.slice(0, 20), `… and ${files.length - 20} more`] : files,
    stats,
    notes: [...(format.usesStyle ? [describeStyle(style)] : []), ...(format.cardNotes?.(context) ?? [])],
  });
  return { files, card, stats };
}

function describeStyle(style: ExportStyle): string {
  if (style.toolCalls === 'text')
    return 'Tool calls as text (`--tool-calls text`): each call is a JSON line `{"name", "parameters"}` in the assistant message, tool results `user` messages, and user messages in a row joined into one (for loaders that read only role and content, such as torchtune\'s).';
  return style.toolArguments === 'object'
    ? 'Tool-call arguments as JSON objects (`--tool-arguments object`): what TRL, axolotl, unsloth and the chat templates of Qwen2.5, Llama 3.x and Qwen3 render without quoting them twice.'
    : "Tool-call arguments as JSON text (`--tool-arguments string`, OpenAI's wire form): what OpenAI fine-tuning reads; templates that apply `tojson` to arguments would quote them twice.";
}
