import * as vscode from 'vscode';
import { RolloutQueue } from '../../core/queue/rolloutQueue';
import { QueueStatusReader, type QueueStatus } from '../../core/queue/status';

const POLL_MS = 5_000;

/** The queue's figures in one line, as the Runs view shows them above the runs. */
export function queueSummary(url: string, status: QueueStatus): string {
  const rates = status.throughput.map((row) => `${row.worker} ${row.perMinute.toFixed(1)}/min`).join(', ');
  return `Queue ${url}: ${status.waiting} waiting · ${status.active} active · ${status.completed} done · ${status.cancelled ? `${status.cancelled} cancelled · ` : ''}${status.failed} failed · ${status.workers} worker(s)${rates ? ` (${rates})` : ''}`;
}

/**
 * While `rolloutStudio.queue.url` names a Redis queue, shows its waiting / active / done / failed counts and
 * per-worker throughput at the top of the Runs view, polled every few seconds.
 */
export class QueueMonitor implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private queue: RolloutQueue | undefined;
  private status: QueueStatusReader | undefined;
  /** The figures last shown, for tests. */
  lastStatus: QueueStatus | undefined;

  constructor(
    private readonly view: vscode.TreeView<unknown>,
    private readonly queueUrl: () => string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Starts, restarts or stops polling to match the setting. */
  async follow(): Promise<void> {
    this.stop();
    const url = this.queueUrl();
    if (!url) return;
    try {
      this.queue = await RolloutQueue.open(url, { onConnectionError: (message) => this.log.warn(message) });
      this.status = new QueueStatusReader(this.queue);
    } catch (error) {
      this.view.message = `Queue ${url}: ${(error as Error).message}`;
      return;
    }
    await this.poll(url);
    this.timer = setInterval(() => void this.poll(url), POLL_MS);
  }

  private async poll(url: string): Promise<void> {
    const { queue, status } = this;
    if (!queue || !status) return;
    try {
      this.lastStatus = await status.read();
      this.view.message = queueSummary(url, this.lastStatus);
    } catch (error) {
      this.view.message = `Queue: ${queue.explain(error).message}`;
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    void this.queue?.close();
    this.queue = undefined;
    this.status = undefined;
    this.lastStatus = undefined;
    this.view.message = undefined;
  }

  dispose(): void {
    this.stop();
  }
}
