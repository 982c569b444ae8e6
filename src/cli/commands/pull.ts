import { parseS3Url, pullRuns } from '../../core/queue/s3ResultStore';
import type { CliCommand } from './index';
import { parseCommandLine, usageProblem } from '../grammar';

const USAGE = `usage: rollout pull s3://BUCKET[/PREFIX] --out DIR

Copies the runs that queue workers stored in an S3-compatible bucket into DIR (only files that are new or
changed), and adds them to DIR's run index, so that export, playback and the Runs view read them as local runs.
Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; AWS_ENDPOINT_URL names a store other than AWS.`;

export const pullCommand: CliCommand = {
  summary: 'copy runs stored in an S3-compatible bucket by queue workers into a local folder',
  async run(args) {
    const parsed = parseCommandLine(
      { command: 'pull', usage: USAGE, positionals: true, options: { out: { type: 'string' } }, required: ['out'] },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1)
      return usageProblem('pull', USAGE, `one s3:// address is required (got ${positionals.length})`);
    const { copied, skipped, runIds } = await pullRuns(parseS3Url(positionals[0]), values.out);
    console.log(
      `${copied.length} file(s) copied (${runIds.length} trajectories), ${skipped} unchanged, into ${values.out}`,
    );
    return 0;
  },
};
