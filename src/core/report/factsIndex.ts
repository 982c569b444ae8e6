/**
 * The facts of a folder's runs kept in one file at the folder's top, so that a second report over the same runs
 * reads that file and a `stat` per log instead of parsing every turn again. An entry is served only while its log
 * has the size and modification time it had when its facts were read, the facts were computed by this facts
 * format, and the task's gold files are the ones its localisation used; anything else (a turn appended, a run
 * resumed, other task files, an unreadable or foreign index) reads the log again. The index is rewritten whole
 * (then renamed into place) with one entry per log the report saw.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { RunFacts } from './model';
import type { RunFactsResult } from './runFacts';

/**
 * The format of the facts `readRunFacts` computes. Bump it with any change to what they hold or how they are
 * computed: an index of another version is read again (test/unit/report/factsIndex.test.ts pins the facts of a
 * fixture to this version).
 */
export const FACTS_FORMAT_VERSION = 1;

/** Hidden, at the top of the folder a report was given. */
export const FACTS_INDEX_FILE = '.rollout-report-facts.json';

/** What a log was when its facts were read: taken before reading it. */
export interface LogState {
  size: number;
  mtimeMs: number;
}

/** A run's facts and its problems' messages; paths are the log's where it is now (a moved folder keeps its index). */
interface StoredResult {
  facts: RunFacts | null;
  problems: string[];
}

interface FactsEntry extends LogState {
  /** The gold files given for the run's task (null for none). */
  goldFiles: readonly string[] | null;
  result: StoredResult;
}

interface FactsIndexFile {
  version: number;
  /** By the log's path relative to the folder. */
  runs: Record<string, FactsEntry>;
}

/** The files of a task's gold patch, as `readRunFacts` is given them. */
type GoldFiles = (taskId: string) => readonly string[] | undefined;

/** The gold files a run's facts were (or would be) computed with: those of its task, null for none. */
function goldOf(facts: RunFacts | null, goldFiles: GoldFiles): readonly string[] | null {
  return facts ? (goldFiles(facts.taskId) ?? null) : null;
}

export class FactsIndex {
  private readonly next: Record<string, FactsEntry> = {};
  private changed = false;

  private constructor(
    readonly folder: string,
    private readonly kept: Record<string, FactsEntry>,
  ) {}

  static path(folder: string): string {
    return join(folder, FACTS_INDEX_FILE);
  }

  /** The folder's index; empty when there is none, it does not parse, or it holds another facts format. */
  static async open(folder: string): Promise<FactsIndex> {
    let file: FactsIndexFile | undefined;
    try {
      file = JSON.parse(await readFile(FactsIndex.path(folder), 'utf8')) as FactsIndexFile;
    } catch {
      file = undefined;
    }
    const current = file?.version === FACTS_FORMAT_VERSION && typeof file.runs === 'object' && file.runs !== null;
    return new FactsIndex(folder, current ? file!.runs : {});
  }

  /** The log's kept facts when its entry is current, with the log's path; null otherwise. */
  current(log: string, state: LogState, goldFiles: GoldFiles): RunFactsResult | null {
    const key = this.keyOf(log);
    const entry = Object.hasOwn(this.kept, key) ? this.kept[key] : undefined;
    if (!entry || entry.size !== state.size || entry.mtimeMs !== state.mtimeMs) return null;
    const { facts, problems } = entry.result ?? {};
    if (facts === undefined || !Array.isArray(problems)) return null;
    if (JSON.stringify(goldOf(facts, goldFiles)) !== JSON.stringify(entry.goldFiles ?? null)) return null;
    this.next[key] = entry;
    return {
      facts: facts ? { ...facts, path: log } : null,
      problems: problems.map((message) => ({ path: log, message })),
    };
  }

  /** Keeps a log's facts, read from a log that was in `state` before it was read. */
  keep(log: string, state: LogState, goldFiles: GoldFiles, result: RunFactsResult): void {
    const problems = result.problems.map((problem) => problem.message);
    const entry = { ...state, goldFiles: goldOf(result.facts, goldFiles), result: { facts: result.facts, problems } };
    this.next[this.keyOf(log)] = entry;
    this.changed = true;
  }

  /** The log's path in the folder (logs are found under it: no need for `relative`'s resolving, 10,000 times). */
  private keyOf(log: string): string {
    return log.startsWith(this.folder + sep) ? log.slice(this.folder.length + 1) : relative(this.folder, log);
  }

  /** Written whole and renamed into place when anything changed; a folder that cannot be written keeps none. */
  async save(): Promise<void> {
    if (!this.changed && Object.keys(this.next).length === Object.keys(this.kept).length) return;
    const path = FactsIndex.path(this.folder);
    const partial = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    const file: FactsIndexFile = { version: FACTS_FORMAT_VERSION, runs: this.next };
    try {
      await writeFile(partial, JSON.stringify(file));
      await rename(partial, path);
    } catch {
      await rm(partial, { force: true }).catch(() => undefined);
    }
  }
}
