import { parseS3Url, pullFromS3 } from '../../core/queue/s3ResultStore';
import { TRAJECTORY_FILE } from '../../core/trajectory/reader';
import { indexRunFromLog } from '../../core/trajectory/runIndex';
import type { CliCommand } from './index';
import { parseCommandLine } from '../grammar';

const USAGE = `usage: rollout pull s3://BUCKET[/PREFIX] --out DIR

Copies the runs that queue workers stored in an S3-compatible bucket into DIR (only files that are new or
changed), and adds them to DIR's run index, so that export, playback and the Runs view read them as local runs.
Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; AWS_ENDPOINT_URL names a store other than AWS.`;

export const pullCommand: CliCommand = {
  summary: 'copy runs stored in an S3-compatible bucket by queue workers into a local folder',
  async run(args) {
    const parsed = parseCommandLine(
      { command: 'pull', usage: USAGE, positionals: true, options: { out: { type: 'string' } } },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1 || !values.out) {
      console.error(`rollout pull: one s3:// address and --out are required\n\n${USAGE}`);
      return 2;
    }
    const { copied, skipped } = await pullFromS3(parseS3Url(positionals[0]), values.out);
    const pulledRuns = copied
      .filter((name) => name.endsWith(`/${TRAJECTORY_FILE}`))
      .map((name) => name.slice(0, -TRAJECTORY_FILE.length - 1));
    for (const runId of pulledRuns) await indexRunFromLog(values.out, runId);
    console.log(
      `${copied.length} file(s) copied (${pulledRuns.length} trajectories), ${skipped} unchanged, into ${values.out}`,
    );
    return 0;
  },
};
