/** `rollout report` as one call: read the task files and the runs, then build the report. */
import { bootstrapSettings, type BootstrapOptions } from './bootstrap';
import { buildReport } from './buildReport';
import { loadCatalog, type TaskCatalog } from './catalog';
import { collectRunFacts } from './collect';
import type { GroupBy, Report, RunFacts } from './model';

export interface CreateReportOptions {
  /** Output folders of `rollout run` (or pulled from a queue's bucket), run folders or trajectory logs. */
  runs: string[];
  /** Task files or folders: datasets, categories and gold patches of the tasks. */
  tasks?: string[];
  by?: GroupBy;
  datasets?: string[];
  groups?: string[];
  bootstrap?: BootstrapOptions;
  /** Problems that do not stop the report (task rows that did not load). */
  warn?: (message: string) => void;
  /** Keep each run's facts beside its log and use them while the log is unchanged (default true). */
  keepFacts?: boolean;
  signal?: AbortSignal;
}

export interface CreatedReport {
  report: Report;
  /** What the report was built from, to build it again with other filters without reading the runs again. */
  facts: RunFacts[];
  catalog: TaskCatalog;
}

export async function createReport(options: CreateReportOptions): Promise<CreatedReport> {
  const catalog = await loadCatalog(options.tasks ?? [], options.warn ?? (() => undefined));
  const { facts, problems } = await collectRunFacts(options.runs, catalog, {
    keepFacts: options.keepFacts,
    signal: options.signal,
  });
  const report = buildReport(facts, catalog, {
    by: options.by ?? 'policy',
    bootstrap: bootstrapSettings(options.bootstrap),
    datasets: options.datasets,
    groups: options.groups,
    sources: options.runs,
    problems,
    generatedAt: new Date().toISOString(),
  });
  return { report, facts, catalog };
}
