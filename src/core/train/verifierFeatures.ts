import featureSpec from '../../../sandbox/trainer/rollout_trainer/verifier_features.json';
import type { Trajectory } from '../trajectory/types';

/** The verifier's inputs by name; the order of `VERIFIER_FEATURES` is the ONNX model's input order. */
export type FeatureRecord = Record<string, number>;

export const VERIFIER_FEATURES: readonly string[] = featureSpec.features.map((feature) => feature.name);

/** Commands that run a test suite; their last exit code becomes `last_test_passed`. */
const TEST_COMMAND =
  /\b(pytest|py\.test|unittest|tox|nox|go test|cargo test|npm (run )?test|yarn test|pnpm test|jest|mocha|vitest|mvn test|gradle test|rspec|phpunit|ctest|make (check|test))\b/;
const EDIT_TOOLS = new Set([
  'edit',
  'str_replace',
  'str_replace_editor',
  'insert',
  'create',
  'write_file',
  'apply_patch',
]);

/** The feature vector of one record, in model order; a missing or negative value is an error naming it. */
export function featureVector(record: FeatureRecord, where = 'feature record'): number[] {
  return VERIFIER_FEATURES.map((name) => {
    const value = record[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`${where}: features.${name} must be a non-negative number, got ${JSON.stringify(value)}`);
    }
    return value;
  });
}

interface PatchStats {
  added: number;
  removed: number;
  files: number;
  /** Distinct enclosing definitions named in hunk headers (`@@ … @@ def name`). */
  symbols: number;
}

/** Line, file and enclosing-definition counts of a git patch. */
export function patchStats(patch: string): PatchStats {
  const stats: PatchStats = { added: 0, removed: 0, files: 0, symbols: 0 };
  const symbols = new Set<string>();
  let file = '';
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      stats.files += 1;
      file = line;
    } else if (line.startsWith('@@')) {
      const context = /^@@[^@]*@@\s*(.+)$/.exec(line)?.[1];
      if (context) symbols.add(`${file}\0${context.trim()}`);
    } else if (line.startsWith('+') && !line.startsWith('+++')) stats.added += 1;
    else if (line.startsWith('-') && !line.startsWith('---')) stats.removed += 1;
  }
  stats.symbols = symbols.size;
  return stats;
}

function commandOf(argumentsJson: string | undefined): string {
  if (!argumentsJson) return '';
  try {
    const parsed = JSON.parse(argumentsJson) as { command?: unknown; cmd?: unknown };
    return String(parsed.command ?? parsed.cmd ?? '');
  } catch {
    return argumentsJson;
  }
}

/**
 * A trajectory's features. `symbols_changed` counts the definitions the patch touches: the agent's
 * tree-sitter count when the run recorded one (`result.extra.symbols_changed`), else the enclosing
 * definitions git names in the patch's hunk headers.
 */
export function trajectoryFeatures(trajectory: Trajectory): FeatureRecord {
  const observations = trajectory.turns.flatMap((turn) => turn.observations);
  const toolCalls = trajectory.turns.flatMap((turn) =>
    turn.messages.flatMap((message) => (message.role === 'assistant' ? (message.tool_calls ?? []) : [])),
  );
  const testRuns = observations.filter((observation) => TEST_COMMAND.test(commandOf(observation.arguments)));
  const lastTest = testRuns.at(-1);
  const patch = patchStats(trajectory.result?.patch ?? '');
  const recordedSymbols = trajectory.result?.extra?.symbols_changed;
  const tokensOut =
    trajectory.result?.totals?.tokens_out ??
    trajectory.turns.reduce((sum, turn) => sum + (turn.tokens?.output ?? 0), 0);
  return {
    turns: trajectory.turns.length,
    tool_calls: toolCalls.length,
    edits: toolCalls.filter((call) => EDIT_TOOLS.has(call.function.name)).length,
    error_observations: observations.filter(
      (observation) => observation.is_error === true || (observation.exit_code ?? 0) !== 0,
    ).length,
    test_runs: testRuns.length,
    last_test_passed: lastTest !== undefined && lastTest.exit_code === 0 && lastTest.is_error !== true ? 1 : 0,
    patch_lines_added: patch.added,
    patch_lines_removed: patch.removed,
    files_changed: patch.files,
    symbols_changed: typeof recordedSymbols === 'number' ? recordedSymbols : patch.symbols,
    tokens_out: tokensOut,
    submitted: trajectory.result?.exit_status === 'submitted' ? 1 : 0,
  };
}
