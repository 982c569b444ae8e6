import { join } from 'node:path';
import { writeFileAtomic } from '../atomicFile';
import type { UnpairableReason } from './dpo';
import type { RunSummary, SkipReason } from './runs';

const REWARD_BINS = 10;

/** Running statistics of an export: constant memory except the set of task ids per split. */
export class DatasetStats {
  scanned = 0;
  runs = 0;
  readonly skipped = new Map<SkipReason, number>();
  /** Pairs of attempts that could not be made into a preference pair, by reason. */
  readonly pairsNotFormed = new Map<UnpairableReason, number>();
  readonly rowsBySplit = new Map<string, number>();
  readonly tasksBySplit = new Map<string, Set<string>>();
  readonly rewardBins = new Array<number>(REWARD_BINS).fill(0);
  rewardsOutsideUnit = 0;
  unscored = 0;
  /** Runs with test-feedback rounds, and how many of them first resolved in each round (index round - 1). */
  feedbackRuns = 0;
  readonly firstResolvedInRound: number[] = [];
  /**
   * RL rows with the prompt's token ids, with the generated tokens' ids, with their log-probabilities, and with
   * log-probabilities left out.
   */
  readonly tokenData = { prompt_token_ids: 0, token_ids: 0, logprobs: 0, logprobs_left_out: 0 };
  private turnsMin = Infinity;
  private turnsMax = 0;
  private turnsSum = 0;
  private tokensIn = 0;
  private tokensOut = 0;

  skip(reason: SkipReason): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }

  skipPair(reason: UnpairableReason): void {
    this.pairsNotFormed.set(reason, (this.pairsNotFormed.get(reason) ?? 0) + 1);
  }

  /** A run whose data went into the export. */
  addRun(run: RunSummary, split: string): void {
    this.runs += 1;
    const tasks = this.tasksBySplit.get(split) ?? new Set<string>();
    tasks.add(run.task_id);
    this.tasksBySplit.set(split, tasks);
    if (run.reward === null) this.unscored += 1;
    else if (run.reward < 0 || run.reward > 1) this.rewardsOutsideUnit += 1;
    else this.rewardBins[Math.min(REWARD_BINS - 1, Math.floor(run.reward * REWARD_BINS))] += 1;
    this.turnsMin = Math.min(this.turnsMin, run.turns);
    this.turnsMax = Math.max(this.turnsMax, run.turns);
    this.turnsSum += run.turns;
    this.tokensIn += run.tokens_in;
    this.tokensOut += run.tokens_out;
    if (run.protocol === 'swe-feedback' && run.reward !== null) this.countRounds(run.rounds ?? []);
  }

  private countRounds(rounds: NonNullable<RunSummary['rounds']>): void {
    this.feedbackRuns += 1;
    for (let i = this.firstResolvedInRound.length; i < rounds.length; i++) this.firstResolvedInRound.push(0);
    const resolved = rounds.find((round) => round.resolved);
    if (resolved) this.firstResolvedInRound[resolved.round - 1] += 1;
  }

  /** The share of test-feedback runs resolved by round k (index k - 1): MINT's success rate after k submissions. */
  get successByRound(): number[] | undefined {
    if (this.feedbackRuns === 0) return undefined;
    let resolved = 0;
    return this.firstResolvedInRound.map((count) => (resolved += count) / this.feedbackRuns);
  }

  addRow(split: string): void {
    this.rowsBySplit.set(split, (this.rowsBySplit.get(split) ?? 0) + 1);
  }

  get rows(): number {
    return [...this.rowsBySplit.values()].reduce((a, b) => a + b, 0);
  }

  toJSON(): Record<string, unknown> {
    return {
      scanned: this.scanned,
      runs: this.runs,
      rows: Object.fromEntries(this.rowsBySplit),
      tasks: Object.fromEntries([...this.tasksBySplit].map(([split, tasks]) => [split, tasks.size])),
      skipped: Object.fromEntries(this.skipped),
      ...(this.pairsNotFormed.size ? { pairs_not_formed: Object.fromEntries(this.pairsNotFormed) } : {}),
      turns: this.runs ? { min: this.turnsMin, mean: this.turnsSum / this.runs, max: this.turnsMax } : null,
      tokens: { input: this.tokensIn, output: this.tokensOut },
      ...(this.successByRound ? { success_by_round: this.successByRound } : {}),
      ...(Object.values(this.tokenData).some((count) => count > 0) ? { token_data: { ...this.tokenData } } : {}),
    };
  }
}

export interface CardInput {
  format: string;
  command: string;
  files: string[];
  stats: DatasetStats;
  /** How the rows were made (pairing, advantages, tool-call style). */
  notes: string[];
}

/** The share of test-feedback runs resolved by each round, with the gain of each extra round. */
function successByRoundSection(stats: DatasetStats): string[] {
  const shares = stats.successByRound;
  if (!shares) return [];
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  return [
    `## Success by round (${stats.feedbackRuns} runs with test feedback)`,
    '',
    '| round | resolved by then | gain |',
    '|---:|---:|---:|',
    ...shares.map(
      (share, i) =>
        `| ${i + 1} | ${percent(share)} | ${i === 0 ? '' : `+${((share - shares[i - 1]) * 100).toFixed(1)}`} |`,
    ),
    '',
  ];
}

/** The dataset card's name in an export's folder (Hugging Face reads a dataset's card from it). */
export const DATASET_CARD_FILE = 'README.md';

/** The dataset card: what is in the files, how it was filtered, and the command that made it. */
export async function writeDatasetCard(outDir: string, input: CardInput): Promise<string> {
  const { stats } = input;
  const splits = [...stats.rowsBySplit.keys()].sort();
  const mean = (total: number) => (stats.runs ? (total / stats.runs).toFixed(1) : '0');
  const json = stats.toJSON() as {
    tokens: { input: number; output: number };
    turns: { min: number; mean: number; max: number } | null;
  };
  const peak = Math.max(1, ...stats.rewardBins);
  const histogram = stats.rewardBins.map((count, i) => {
    const low = (i / REWARD_BINS).toFixed(1);
    const high = ((i + 1) / REWARD_BINS).toFixed(1);
    return `| ${low}–${high}${i === REWARD_BINS - 1 ? ' (incl.)' : ''} | ${count} | ${'█'.repeat(Math.round((count / peak) * 30))} |`;
  });
  const lines = [
    `# Rollout Studio dataset (${input.format})`,
    '',
    'Made with:',
    '',
    '```sh',
    input.command,
    '```',
    '',
    '## Files',
    '',
    ...input.files.map((file) => `- \`${file}\``),
    '',
    '## Counts',
    '',
    `- trajectory logs scanned: ${stats.scanned}`,
    `- runs exported: ${stats.runs}`,
    ...splits.map(
      (split) =>
        `- split \`${split}\`: ${stats.rowsBySplit.get(split)} rows from ${stats.tasksBySplit.get(split)?.size ?? 0} tasks`,
    ),
    `- skipped runs: ${stats.skipped.size === 0 ? 'none' : [...stats.skipped].map(([reason, n]) => `${reason} ${n}`).join(', ')}`,
    ...(stats.pairsNotFormed.size
      ? [`- pairs not formed: ${[...stats.pairsNotFormed].map(([reason, n]) => `${reason} ${n}`).join(', ')}`]
      : []),
    '',
    'Splits are made by task: every attempt at a task is in the same split, so no task is in two splits.',
    '',
    '## How the rows were made',
    '',
    ...input.notes.map((note) => `- ${note}`),
    '',
    '## Reward histogram (exported runs)',
    '',
    '| reward | runs | |',
    '|---|---:|---|',
    ...histogram,
    ...(stats.unscored ? [`| unscored | ${stats.unscored} | |`] : []),
    ...(stats.rewardsOutsideUnit ? [`| outside [0, 1] | ${stats.rewardsOutsideUnit} | |`] : []),
    '',
    '## Turns and tokens (per exported run)',
    '',
    `- turns: min ${json.turns?.min ?? 0}, mean ${json.turns ? json.turns.mean.toFixed(1) : 0}, max ${json.turns?.max ?? 0}`,
    `- tokens in: total ${json.tokens.input}, mean ${mean(json.tokens.input)}`,
    `- tokens out: total ${json.tokens.output}, mean ${mean(json.tokens.output)}`,
    '',
    ...successByRoundSection(stats),
    'Format reference: docs/export-formats.md in Rollout Studio.',
    '',
  ];
  const path = join(outDir, DATASET_CARD_FILE);
  await writeFileAtomic(path, lines.join('\n'));
  return path;
}
