import { existsSync } from 'node:fs';
import { writeHtmlReport } from '../../core/report/html';
import { formatReport } from '../../core/report/formatText';
import { GROUP_BY, type GroupBy } from '../../core/report/model';
import { createReport } from '../../core/report/report';
import type { CliCommand } from './index';
import { numberOption, parseCommandLine } from '../grammar';

const USAGE = `usage: rollout report RUNS… [--by ${GROUP_BY.join('|')}] [--json] [--html OUT.html]
         [--tasks FILE…] [--dataset NAME…] [--group KEY…] [--bootstrap N] [--seed S]

Compares runs: a leaderboard per group with resolved rate and its 95 % bootstrap interval, pass@k and pass^k,
mean reward, cost, tokens, turns, wall time and exit statuses; paired tests between groups (McNemar on
resolved; on reward, a paired bootstrap interval and a sign-flip test); rates per category; what happened
inside the trajectories; and the task × group matrix. docs/metrics.md defines every figure.

  RUNS         output folders of \`rollout run\` (also ones fetched with \`rollout pull\`), run folders or logs
  --by         group runs by policy spec (default), model name, or system prompt
  --json       print the whole report as JSON instead of tables
  --html       also write a self-contained HTML report with charts (opens offline; attach it to a pull request)
  --tasks      task files or folders the runs came from: each is a dataset (its file name), and gives the
               tasks' categories (repository, language, CodeAssistBench category) and gold patches (localisation)
  --dataset    keep only runs of this dataset; --group keeps only this group (both repeatable)
  --bootstrap  resamples of the bootstrap intervals and of the sign-flip test over more than 20 tasks (Monte
               Carlo; up to 20 it is exact), default 2000; --seed their seed (default 0)`;

export const reportCommand: CliCommand = {
  summary: 'compare runs: leaderboard with confidence intervals, pass@k, paired tests, trajectory analytics, HTML',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'report',
        usage: USAGE,
        positionals: true,
        options: {
          by: { type: 'string', default: 'policy' },
          json: { type: 'boolean' },
          html: { type: 'string' },
          tasks: { type: 'string', multiple: true },
          dataset: { type: 'string', multiple: true },
          group: { type: 'string', multiple: true },
          bootstrap: { type: 'string' },
          seed: { type: 'string' },
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    if (positionals.length === 0) {
      console.error(`rollout report: give at least one runs folder\n\n${USAGE}`);
      return 2;
    }
    if (!GROUP_BY.includes(values.by as GroupBy)) {
      console.error(`rollout report: --by: '${values.by}' is not one of ${GROUP_BY.join(', ')}`);
      return 2;
    }
    const missing = positionals.filter((path) => !existsSync(path));
    if (missing.length) {
      console.error(`rollout report: no such file or folder: ${missing.join(', ')}`);
      return 2;
    }
    const resamples = numberOption('bootstrap', values.bootstrap, { integer: true, min: 1 });
    const { report } = await createReport({
      runs: positionals,
      tasks: values.tasks,
      by: values.by as GroupBy,
      datasets: values.dataset,
      groups: values.group,
      bootstrap: { resamples, seed: numberOption('seed', values.seed, { integer: true, min: 0 }) },
      warn: (message) => console.error(`warning: ${message}`),
    });
    for (const problem of report.problems) console.error(`problem: ${problem.path}: ${problem.message}`);
    if (values.html) {
      await writeHtmlReport(report, values.html);
      console.error(`wrote ${values.html}`);
    }
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  },
};
