/**
 * What one run may spend and has spent, over every model it calls: the agent's, and those of its protocol
 * (the simulated user, the judge, the feedback model). One budget per run, shared by every round of the
 * conversation, restored from the record when a run is resumed.
 */
import type { Trajectory } from '../trajectory/types';
import type { AgentConfig } from './config';
import type { PolicyResponse } from './policies/policy';

/**
 * Who a model call was for: the agent's turns; `summary`, the agent's model writing the summary that
 * compaction puts in place of elided turns; the protocol's simulated user, judge and feedback model.
 */
export type ModelRole = 'agent' | 'summary' | 'user' | 'judge' | 'feedback';

export const MODEL_ROLES: readonly ModelRole[] = ['agent', 'summary', 'user', 'judge', 'feedback'];

export interface RoleUsage {
  calls: number;
  tokens_in: number;
  tokens_out: number;
  /** The calls whose cost is known; see `RunBudget.costKnown`. */
  cost_usd: number;
  model_ms: number;
}

/** The limits a budget enforces; reaching one ends the run with the exit status named beside it. */
export type BudgetLimits = Pick<AgentConfig, 'maxTokens' | 'maxCostUsd' | 'maxWallMs'>;

export interface BudgetStop {
  exitStatus: 'token_limit' | 'cost_limit' | 'time_limit';
  reason: string;
}

/** What the budget is charged for one model call (a policy's response carries it). */
export type ModelCall = Pick<PolicyResponse, 'usage' | 'cost' | 'modelMs' | 'model'>;

/** The event a run records once, at its first model call without a cost. */
export const COST_UNKNOWN_EVENT = 'cost_unknown';

export interface BudgetOptions {
  /** Time a resumed run had already spent before this process took it over. */
  earlierMs?: number;
  /** Where the budget records its `cost_unknown` event (the run's recorder). */
  recordEvent?: (kind: string, data: Record<string, unknown>) => Promise<unknown>;
}

const emptyUsage = (): RoleUsage => ({ calls: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, model_ms: 0 });

export class RunBudget {
  private readonly spent = new Map<ModelRole, RoleUsage>(MODEL_ROLES.map((role) => [role, emptyUsage()]));
  private readonly startedAt = performance.now();
  /** False once any model call came back without a cost (no price): the run's total is then unknown. */
  private known = true;
  private unknownCostRecorded = false;

  constructor(
    private readonly limits: BudgetLimits,
    private readonly options: BudgetOptions = {},
  ) {}

  /**
   * The budget of a resumed run: what its recorded turns (the agent) and events (their `usage`) spent, and the
   * time they took, count against the same limits; a call recorded without a cost leaves the cost unknown.
   */
  static restore(
    limits: BudgetLimits,
    earlier: Pick<Trajectory, 'turns' | 'events'>,
    options: BudgetOptions = {},
  ): RunBudget {
    let earlierMs = 0;
    const usages: [ModelRole, RoleUsage, boolean][] = [];
    for (const turn of earlier.turns) {
      earlierMs += turn.durations_ms?.total ?? 0;
      const usage = {
        calls: 1,
        tokens_in: turn.tokens?.input ?? 0,
        tokens_out: turn.tokens?.output ?? 0,
        cost_usd: turn.cost_usd ?? 0,
        model_ms: turn.durations_ms?.model ?? 0,
      };
      usages.push(['agent', usage, typeof turn.cost_usd === 'number']);
    }
    for (const event of earlier.events) {
      const recorded = recordedUsage(event.data?.usage);
      if (!recorded) continue;
      earlierMs += recorded.usage.model_ms;
      usages.push([recorded.role, recorded.usage, recorded.costKnown]);
    }
    const budget = new RunBudget(limits, { ...options, earlierMs });
    for (const [role, usage, costKnown] of usages) budget.add(role, usage, costKnown);
    budget.unknownCostRecorded = earlier.events.some((event) => event.kind === COST_UNKNOWN_EVENT);
    return budget;
  }

  /**
   * Counts one model call; returns what to record with it (the `usage` of its event). The first call without
   * a cost records, once per run, that the run's cost is unknown and its cost limit counts only priced calls.
   */
  async charge(role: ModelRole, response: ModelCall): Promise<RecordedUsage> {
    const usage: RoleUsage = {
      calls: 1,
      tokens_in: response.usage.promptTokens,
      tokens_out: response.usage.completionTokens,
      cost_usd: response.cost ?? 0,
      model_ms: response.modelMs,
    };
    const costKnown = response.cost !== undefined;
    this.add(role, usage, costKnown);
    if (!costKnown && !this.unknownCostRecorded) {
      this.unknownCostRecorded = true;
      await this.options.recordEvent?.(COST_UNKNOWN_EVENT, this.unknownCostNotice(role, response.model));
    }
    return { role, ...usage, cost_usd: costKnown ? usage.cost_usd : null };
  }

  /** Whether every model call so far had a known cost. */
  get costKnown(): boolean {
    return this.known;
  }

  /** Why the run must stop now, when a limit is reached. */
  exhausted(): BudgetStop | undefined {
    const tokens = this.total.tokens_in + this.total.tokens_out;
    if (tokens >= this.limits.maxTokens)
      return { exitStatus: 'token_limit', reason: `used ${tokens} of ${this.limits.maxTokens} tokens` };
    const cost = this.total.cost_usd;
    if (cost >= this.limits.maxCostUsd)
      return { exitStatus: 'cost_limit', reason: `spent $${cost.toFixed(4)} of $${this.limits.maxCostUsd}` };
    const elapsed = this.elapsedMs;
    if (elapsed >= this.limits.maxWallMs)
      return {
        exitStatus: 'time_limit',
        reason: `ran ${Math.round(elapsed / 1000)} s of ${this.limits.maxWallMs / 1000} s`,
      };
    return undefined;
  }

  get elapsedMs(): number {
    return (this.options.earlierMs ?? 0) + performance.now() - this.startedAt;
  }

  /** Every role's calls, tokens, cost and model time, for roles that were called. */
  byRole(): Partial<Record<ModelRole, RoleUsage>> {
    return Object.fromEntries(
      [...this.spent].filter(([, usage]) => usage.calls > 0).map(([role, u]) => [role, { ...u }]),
    );
  }

  /** What the calls that are not turns (summaries, the protocol's models) spent: added to the run's totals. */
  get beyondTurnsUsage(): RoleUsage {
    return [...this.spent]
      .filter(([role]) => role !== 'agent')
      .reduce((sum, [, usage]) => addUsage(sum, usage), emptyUsage());
  }

  private get total(): RoleUsage {
    return [...this.spent.values()].reduce(addUsage, emptyUsage());
  }

  private add(role: ModelRole, usage: RoleUsage, costKnown: boolean): void {
    this.spent.set(role, addUsage(this.spent.get(role) ?? emptyUsage(), usage));
    this.known &&= costKnown;
  }

  private unknownCostNotice(role: ModelRole, model: string | undefined): Record<string, unknown> {
    const limit = Number.isFinite(this.limits.maxCostUsd) ? this.limits.maxCostUsd : undefined;
    const call = `a call of the ${role} model${model ? ` (${model})` : ''}`;
    const effect =
      limit === undefined
        ? "the run's cost is not recorded"
        : `the run's cost is not recorded and its $${limit} cost limit counts only calls with a price`;
    return {
      role,
      ...(model ? { model } : {}),
      cost_limit_usd: limit ?? null,
      message: `${call} has no cost (no price for the model; give one with --price-input / --price-output): ${effect}`,
    };
  }
}

/** A model call that is not a turn as its event records it (`event.data.usage`); cost null when unknown. */
export type RecordedUsage = Omit<RoleUsage, 'cost_usd'> & { role: ModelRole; cost_usd: number | null };

/** The usage an event recorded for a model call that is not a turn; undefined when it holds none. */
export function recordedUsage(value: unknown): { role: ModelRole; usage: RoleUsage; costKnown: boolean } | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const data = value as Record<string, unknown>;
  if (!MODEL_ROLES.includes(data.role as ModelRole)) return undefined;
  const number = (field: keyof RoleUsage) => (typeof data[field] === 'number' ? (data[field] as number) : 0);
  return {
    role: data.role as ModelRole,
    costKnown: data.cost_usd !== null,
    usage: {
      calls: number('calls') || 1,
      tokens_in: number('tokens_in'),
      tokens_out: number('tokens_out'),
      cost_usd: number('cost_usd'),
      model_ms: number('model_ms'),
    },
  };
}

function addUsage(a: RoleUsage, b: RoleUsage): RoleUsage {
  return {
    calls: a.calls + b.calls,
    tokens_in: a.tokens_in + b.tokens_in,
    tokens_out: a.tokens_out + b.tokens_out,
    cost_usd: a.cost_usd + b.cost_usd,
    model_ms: a.model_ms + b.model_ms,
  };
}
