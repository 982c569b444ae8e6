import type { DatasetStats } from './card';
import type { DpoCompletion } from './dpo';
import type { JsonlWriter } from './jsonlWriter';
import type { ExportStyle } from './messages';
import type { RunSource } from './runs';
import type { SplitSpec } from './split';

export type ExportFormatName = 'sft' | 'dpo' | 'rl' | 'swebench-preds' | 'swe-agent-traj';

export interface ExportContext {
  source: RunSource;
  stats: DatasetStats;
  split: SplitSpec | undefined;
  /** DPO: the least reward difference between chosen and rejected. */
  minMargin: number;
  /** DPO: the completions are the assistant turn where the attempts part, or everything from it on. */
  dpoCompletion: DpoCompletion;
  /** How tool calls are written (sft, dpo, rl). */
  style: ExportStyle;
  outDir: string;
  /** The JSONL file of a split (`<split>.jsonl`), opened on first use. */
  writer(split: string): JsonlWriter;
  /** Records a file the format wrote itself (relative to the output folder), for the dataset card. */
  addFile(relativePath: string): void;
}

/** One export format: how accepted runs become rows or files. */
export interface ExportFormat {
  name: ExportFormatName;
  summary: string;
  /** Whether `--split` applies (prediction files and per-run trajectories are not training splits). */
  splittable: boolean;
  /** Whether runs without a reward are unusable (ranking and normalising need one). */
  requiresReward: boolean;
  /** Whether rows hold chat messages, written in the export's style. */
  usesStyle: boolean;
  /** How the rows were made, for the dataset card. */
  cardNotes?(context: ExportContext): string[];
  write(context: ExportContext): Promise<void>;
}
