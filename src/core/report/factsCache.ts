/**
 * A run's facts kept beside its log, so that a second report over the same runs reads a small file per run
 * instead of parsing every turn again. An entry is served only while the log has the size and modification time
 * it had when its facts were read, the facts were computed by this facts format, and the task's gold files are
 * the ones its localisation used; anything else (a turn appended, a run resumed, other task files, an unreadable
 * or foreign entry) reads the log again and rewrites the entry.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { readRunFacts, type RunFactsResult } from './runFacts';

/**
 * The format of the facts `readRunFacts` computes. Bump it with any change to what they hold or how they are
 * computed: entries of another version are read again (test/unit/report/factsCache.test.ts pins the facts of a
 * fixture to this version).
 */
export const FACTS_FORMAT_VERSION = 1;

interface FactsEntry {
  version: number;
  /** The log's size and modification time, taken before it was read. */
  size: number;
  mtimeMs: number;
  /** The gold files given for the run's task (null for none). */
  goldFiles: readonly string[] | null;
  result: RunFactsResult;
}

/** Hidden, beside the log, named after it (a folder may hold logs of other names, e.g. imports). */
export function factsEntryPath(log: string): string {
  return join(dirname(log), `.${basename(log)}.report-facts.json`);
}

/** The facts of a log from its entry when that is current, else read from the log and kept for next time. */
export async function readRunFactsKept(
  log: string,
  goldFiles: (taskId: string) => readonly string[] | undefined = () => undefined,
): Promise<RunFactsResult> {
  let logInfo;
  try {
    logInfo = await stat(log);
  } catch {
    return readRunFacts(log, goldFiles); // names the log's problem as a report without entries would
  }
  const key = { version: FACTS_FORMAT_VERSION, size: logInfo.size, mtimeMs: logInfo.mtimeMs };
  const kept = await currentEntry(log, key, goldFiles);
  if (kept) return kept;
  let gold: readonly string[] | null = null;
  const result = await readRunFacts(log, (taskId) => {
    gold = goldFiles(taskId) ?? null;
    return gold ?? undefined;
  });
  await keep(log, { ...key, goldFiles: gold, result });
  return result;
}

async function currentEntry(
  log: string,
  key: Pick<FactsEntry, 'version' | 'size' | 'mtimeMs'>,
  goldFiles: (taskId: string) => readonly string[] | undefined,
): Promise<RunFactsResult | null> {
  let entry: FactsEntry;
  try {
    entry = JSON.parse(await readFile(factsEntryPath(log), 'utf8')) as FactsEntry;
  } catch {
    return null;
  }
  if (entry?.version !== key.version || entry.size !== key.size || entry.mtimeMs !== key.mtimeMs) return null;
  const { facts, problems } = entry.result ?? {};
  if (facts === undefined || !Array.isArray(problems)) return null;
  const gold = facts ? (goldFiles(facts.taskId) ?? null) : null;
  if (JSON.stringify(gold) !== JSON.stringify(entry.goldFiles ?? null)) return null;
  // Paths are where the log is now: a moved output folder keeps its entries.
  return {
    facts: facts ? { ...facts, path: log } : null,
    problems: problems.map((problem) => ({ ...problem, path: log })),
  };
}

/** Written whole and renamed into place; a folder that cannot be written (a read-only copy) keeps no entry. */
async function keep(log: string, entry: FactsEntry): Promise<void> {
  const path = factsEntryPath(log);
  const partial = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(partial, JSON.stringify(entry));
    await rename(partial, path);
  } catch {
    await rm(partial, { force: true }).catch(() => undefined);
  }
}

/** How one log's facts are read: through the entries kept beside the logs, or from the log alone. */
export function factsReader(keepFacts: boolean): typeof readRunFacts {
  return keepFacts ? readRunFactsKept : readRunFacts;
}
