import { cancelRollouts, RolloutQueue } from '../../core/queue/rolloutQueue';
import { formatQueueStatus, queueStatus } from '../../core/queue/status';
import type { CliCommand } from './index';
import { parseCommandLine } from '../grammar';

const USAGE = `usage: rollout status --queue redis://HOST:PORT [--json] [--cancel]

Shows the rollout queue: jobs waiting, running, done, failed (with the reason of their last try), and the
throughput of each worker.

options:
  --json    print the figures as one JSON object
  --cancel  drain the waiting jobs and stop the running ones (each ends as cancelled)`;

export const statusCommand: CliCommand = {
  summary: 'show (or cancel) the rollout job queue: waiting, active, done, failed, per-worker throughput',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'status',
        usage: USAGE,
        required: ['queue'],
        options: {
          queue: { type: 'string' },
          json: { type: 'boolean' },
          cancel: { type: 'boolean' },
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const rollouts = await RolloutQueue.open(values.queue);
    try {
      if (values.cancel) {
        const { drained, active } = await cancelRollouts(rollouts);
        console.log(`cancelled: ${drained} waiting job(s) removed, ${active} running job(s) told to stop`);
      }
      const status = await queueStatus(rollouts);
      console.log(values.json ? JSON.stringify(status) : formatQueueStatus(status));
      return 0;
    } catch (error) {
      throw rollouts.explain(error);
    } finally {
      await rollouts.close();
    }
  },
};
