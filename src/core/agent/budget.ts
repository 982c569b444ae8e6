/**
 * What one run may spend and has spent, over every model it calls: the agent's, and those of its protocol
 * (the simulated user, the judge, the feedback model). One budget per run, shared by every round of the
 * conversation, restored from the record when a run is resumed.
 */
import type { Trajectory } from '../trajectory/types';
import type { AgentConfig } from './config';
import type { PolicyResponse } from './policies/policy';

/** Who a model call was for. */
export type ModelRole = 'agent' | 'user' | 'judge' | 'feedback';

export const MODEL_ROLES: readonly ModelRole[] = ['agent', 'user', 'judge', 'feedback'];

export interface RoleUsage {
  calls: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
  model_ms: number;
}

/** The limits a budget enforces; reaching one ends the run with the exit status named beside it. */
export type BudgetLimits = Pick<AgentConfig, 'maxTokens' | 'maxCostUsd' | 'maxWallMs'>;

export interface BudgetStop {
  exitStatus: 'token_limit' | 'cost_limit' | 'time_limit';
  reason: string;
}

const emptyUsage = (): RoleUsage => ({ calls: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, model_ms: 0 });

export class RunBudget {
  private readonly spent = new Map<ModelRole, RoleUsage>(MODEL_ROLES.map((role) => [role, emptyUsage()]));
  private readonly startedAt = performance.now();
  /** False once a protocol model's call came back without a cost (no price): the run's total is then unknown. */
  protocolCostKnown = true;

  /** `earlierMs`: time a resumed run had already spent before this process took it over. */
  constructor(
    private readonly limits: BudgetLimits,
    private readonly earlierMs = 0,
  ) {}

  /**
   * The budget of a resumed run: what its recorded turns (the agent) and protocol events (their `usage`)
   * spent, and the time they took, count against the same limits.
   */
  static restore(limits: BudgetLimits, earlier: Pick<Trajectory, 'turns' | 'events'>): RunBudget {
    let earlierMs = 0;
    const usages: [ModelRole, RoleUsage][] = [];
    for (const turn of earlier.turns) {
      earlierMs += turn.durations_ms?.total ?? 0;
      usages.push([
        'agent',
        {
          calls: 1,
          tokens_in: turn.tokens?.input ?? 0,
          tokens_out: turn.tokens?.output ?? 0,
          cost_usd: turn.cost_usd ?? 0,
          model_ms: turn.durations_ms?.model ?? 0,
        },
      ]);
    }
    for (const event of earlier.events) {
      const usage = recordedUsage(event.data?.usage);
      if (!usage) continue;
      earlierMs += usage.usage.model_ms;
      usages.push([usage.role, usage.usage]);
    }
    const budget = new RunBudget(limits, earlierMs);
    for (const [role, usage] of usages) budget.add(role, usage);
    return budget;
  }

  /** Counts one model call; returns what to record with it (the `usage` of a protocol event). */
  charge(role: ModelRole, response: Pick<PolicyResponse, 'usage' | 'cost' | 'modelMs'>): RecordedUsage {
    if (role !== 'agent' && response.cost === undefined) this.protocolCostKnown = false;
    const usage: RoleUsage = {
      calls: 1,
      tokens_in: response.usage.promptTokens,
      tokens_out: response.usage.completionTokens,
      cost_usd: response.cost ?? 0,
      model_ms: response.modelMs,
    };
    this.add(role, usage);
    return { role, ...usage };
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
    return this.earlierMs + performance.now() - this.startedAt;
  }

  /** Every role's calls, tokens, cost and model time, for roles that were called. */
  byRole(): Partial<Record<ModelRole, RoleUsage>> {
    return Object.fromEntries(
      [...this.spent].filter(([, usage]) => usage.calls > 0).map(([role, u]) => [role, { ...u }]),
    );
  }

  /** What the protocol's models (every role but the agent) spent: added to the run's totals. */
  get protocolUsage(): RoleUsage {
    return [...this.spent]
      .filter(([role]) => role !== 'agent')
      .reduce((sum, [, usage]) => addUsage(sum, usage), emptyUsage());
  }

  private get total(): RoleUsage {
    return [...this.spent.values()].reduce(addUsage, emptyUsage());
  }

  private add(role: ModelRole, usage: RoleUsage): void {
    this.spent.set(role, addUsage(this.spent.get(role) ?? emptyUsage(), usage));
  }
}

/** A protocol model call as its event records it (`event.data.usage`). */
export type RecordedUsage = RoleUsage & { role: ModelRole };

function recordedUsage(value: unknown): { role: ModelRole; usage: RoleUsage } | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const data = value as Partial<RecordedUsage>;
  if (!MODEL_ROLES.includes(data.role as ModelRole)) return undefined;
  const number = (field: keyof RoleUsage) => (typeof data[field] === 'number' ? (data[field] as number) : 0);
  return {
    role: data.role as ModelRole,
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
