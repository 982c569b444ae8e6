/**
 * The first refusal of a model that every later request would get too (a wrong key, a model the server does not
 * serve, a server without tool calling, an account out of credit): once one rollout met it, the rollouts not yet
 * started are not started (no container, no record, no request), each reported unscored with that refusal.
 */
import { refusesEveryRequest, type Policy, type PolicyError } from './policies/policy';

export class RefusalWatch {
  private refusal?: { error: PolicyError; at: number };

  /**
   * @param rememberMs how long a refusal stops rollouts from starting: a batch's whole life by default; a queue
   * worker, which outlives the fix (credit bought, a model loaded), asks again once this has passed.
   */
  constructor(
    private readonly rememberMs = Infinity,
    private readonly now: () => number = Date.now,
  ) {}

  /** The refusal that stops the next rollouts from starting, while it is remembered. */
  get current(): PolicyError | undefined {
    return this.refusal && this.now() - this.refusal.at < this.rememberMs ? this.refusal.error : undefined;
  }

  /** `policy`, noting such a refusal of any of its calls. */
  watch(policy: Policy): Policy {
    const next: Policy['next'] = async (request) => {
      try {
        return await policy.next(request);
      } catch (error) {
        if (!this.current && refusesEveryRequest(error)) this.refusal = { error, at: this.now() };
        throw error;
      }
    };
    return {
      info: policy.info,
      next,
      ...(policy.probe ? { probe: (signal?: AbortSignal) => policy.probe!(signal) } : {}),
      ...(policy.resumeAfter ? { resumeAfter: (recorded) => policy.resumeAfter!(recorded) } : {}),
    };
  }
}

/** Why a rollout was not started: the refusal that every one of its requests would get. */
export function refusedBeforeStart(refusal: PolicyError): string {
  const refused = "the model refused an earlier rollout's request, as it would refuse every one";
  return `not started: ${refused}: ${refusal.message}`;
}
