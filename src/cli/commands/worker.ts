import { createCliSymbolParser } from '../../core/agent/codemap/nativeTreeSitterParser';
import { startRolloutWorker } from '../../core/queue/rolloutWorker';
import type { CliCommand } from './index';
import { countOption, numberOption, parseCommandLine } from '../grammar';

const USAGE = `usage: rollout worker --queue redis://HOST:PORT [--concurrency N] [--docker-host ADDR]... [--out DIR] [--staging DIR]

Takes rollout jobs from the queue (enqueued by \`rollout run --queue\`), runs each in Docker sandboxes, and
writes its trajectory and reward where the job names: a shared folder, or an S3-compatible bucket (the log
is copied up after every recorded turn; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the
store from AWS_ENDPOINT_URL when it is not AWS). Runs until SIGINT or SIGTERM, then
finishes the rollouts it has started and exits.

options:
  --concurrency N     rollouts at a time (default 1)
  --docker-host ADDR  a Docker engine (unix://PATH, tcp://HOST:PORT, ssh://USER@HOST); repeat it to start
                      sandboxes on several engines in turn (default DOCKER_HOST or the local socket)
  --out DIR           where this machine mounts the shared results folder, when not at the path the job names
  --staging DIR       where runs bound for a bucket are written before they are copied up (default: temp folder)
  --lock-seconds N    how long a job's lock lasts unrenewed (default 30, renewed every sixth of it): a dead
                      worker's jobs go to another after it; a live worker keeps them through a stall of 5/6 of it`;

export const workerCommand: CliCommand = {
  summary: 'take rollout jobs from a Redis queue and run them in Docker sandboxes',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'worker',
        usage: USAGE,
        required: ['queue'],
        options: {
          queue: { type: 'string' },
          concurrency: { type: 'string' },
          'docker-host': { type: 'string', multiple: true },
          out: { type: 'string' },
          staging: { type: 'string' },
          'lock-seconds': { type: 'string' },
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const lockSeconds = numberOption('lock-seconds', values['lock-seconds'], { min: 3 });
    const worker = await startRolloutWorker({
      url: values.queue,
      concurrency: countOption('concurrency', values.concurrency, 1),
      dockerHosts: values['docker-host'],
      outDir: values.out,
      stagingDir: values.staging,
      lockMs: lockSeconds === undefined ? undefined : Math.round(lockSeconds * 1000),
      symbolParser: createCliSymbolParser(),
      log: (line) => console.log(line),
    });
    console.log(`worker ${worker.name} on ${values.queue}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.log('stopping: finishing the rollouts already started');
    await worker.close();
    return 0;
  },
};
