import { mapWithWorkers } from '../concurrency';
import type { Sandbox, SandboxSpec } from './sandbox';

export type SandboxFactory = (spec: SandboxSpec) => Promise<Sandbox>;

/**
 * Keeps at most `concurrency` sandboxes alive and busy: each job gets a fresh sandbox, which is destroyed
 * when the job ends, whether it succeeded or threw.
 */
export class SandboxPool {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly create: SandboxFactory,
    readonly concurrency: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error(`pool concurrency must be a positive integer, got ${concurrency}`);
  }

  async use<T>(spec: SandboxSpec, job: (sandbox: Sandbox) => Promise<T>): Promise<T> {
    await this.acquireSlot();
    try {
      const sandbox = await this.create(spec);
      try {
        return await job(sandbox);
      } finally {
        await sandbox.destroy();
      }
    } finally {
      this.releaseSlot();
    }
  }

  /** Runs one job per item, at most `concurrency` at a time; results keep the items' order. */
  map<I, T>(
    items: readonly I[],
    specFor: (item: I) => SandboxSpec,
    job: (sandbox: Sandbox, item: I) => Promise<T>,
  ): Promise<T[]> {
    return mapWithWorkers(items, this.concurrency, (item) => this.use(specFor(item), (sandbox) => job(sandbox, item)));
  }

  private acquireSlot(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
