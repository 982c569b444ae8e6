/**
 * The server quirks a policy works around. Once a server refused a request for a quirk the policy can work around,
 * every later request of the policy goes around it: the rest of the call, the later turns of the run, the runs of a
 * batch sharing the policy, and a run resumed from a record whose turns name it. Each response says which quirks the
 * attempt that answered was sent around (`workarounds`), so the record shows how each request went out.
 */
import { PolicyError } from './policy';
import type { QuirkName } from './serverErrors';

export class Workarounds {
  private readonly applied = new Set<QuirkName>();

  /** `adopt` starts working around a quirk the policy has just been refused for, and says whether it can. */
  constructor(private readonly adopt: (quirk: QuirkName) => boolean) {}

  /** The quirks worked around now. */
  get current(): ReadonlySet<QuirkName> {
    return this.applied;
  }

  /**
   * A model call, asked again around each quirk a refusal shows that the policy can work around. `send` makes the
   * call (the policy's retries around its attempts) and calls `sending()` as each attempt goes out, so that the quirks
   * returned are those the attempt that answered was sent around: a run sharing the policy may meet a quirk while
   * this call waits.
   */
  async call<T>(
    send: (sending: () => void) => Promise<T>,
    onAskAgain: () => void,
  ): Promise<{ value: T; sentAround: QuirkName[] }> {
    for (;;) {
      let sentAround: QuirkName[] = [];
      try {
        const value = await send(() => (sentAround = [...this.applied]));
        return { value, sentAround };
      } catch (error) {
        if (!this.asksAgain(error, sentAround)) throw error;
        onAskAgain();
      }
    }
  }

  /** The quirks a resumed run's calls were worked around for, worked around from its first request on. */
  resume(quirks: readonly string[]): void {
    for (const quirk of quirks) this.workAround(quirk as QuirkName);
  }

  /**
   * Whether a request refused with `error`, sent around `sentAround`, is asked again around its quirk: one the policy
   * can work around, or one another call sharing the policy already worked around while this one waited. A request
   * refused although sent around the quirk is not.
   */
  private asksAgain(error: unknown, sentAround: readonly string[]): boolean {
    const quirk = error instanceof PolicyError ? error.quirk : undefined;
    if (!quirk || sentAround.includes(quirk)) return false;
    return this.workAround(quirk as QuirkName);
  }

  private workAround(quirk: QuirkName): boolean {
    if (this.applied.has(quirk)) return true;
    if (!this.adopt(quirk)) return false;
    this.applied.add(quirk);
    return true;
  }
}
