import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../../src/core/paths';
import { bootstrapSettings } from '../../../src/core/report/bootstrap';
import { buildReport } from '../../../src/core/report/buildReport';
import { loadCatalog, TaskCatalog } from '../../../src/core/report/catalog';
import { collectRunFacts } from '../../../src/core/report/collect';
import { FACTS_FORMAT_VERSION, FactsIndex } from '../../../src/core/report/factsIndex';
import type { ReportProblem, RunFacts } from '../../../src/core/report/model';
import { createReport } from '../../../src/core/report/report';
import { readRunFacts } from '../../../src/core/report/runFacts';
import { filesInPatch } from '../../../src/core/task/environment';
import { loadTasks } from '../../../src/core/task/loadTasks';
import { importTrajectories } from '../../../src/core/trajectory/import/importer';
import { findTrajectoryLogs } from '../../../src/core/trajectory/reader';

const EXAMPLES = join(packageRoot(), 'tasks', 'examples');
const EXAMPLE = join(EXAMPLES, 'pagekit__pagekit-14');
const GOLD = filesInPatch(readFileSync(join(EXAMPLE, 'gold.patch'), 'utf8'));
/**
 * The facts of the example's solved reference run (path left out) by facts format: a change to what
 * `readRunFacts` computes fails here until FACTS_FORMAT_VERSION is bumped and its hash added, so that no report
 * serves facts kept by an older computation.
 */
const FACTS_HASH_BY_VERSION: Record<number, string> = {
  1: 'ab5db38098bedbf1013ba522e3157e9adae2a5e54efcd765120cd90ab7397117',
};

/** A copy of the example's solved reference run in a run folder of an output folder of its own. */
function exampleRun(): { folder: string; log: string } {
  const folder = mkdtempSync(join(tmpdir(), 'rollout-report-kept-'));
  mkdirSync(join(folder, 'run-1'));
  const log = join(folder, 'run-1', 'trajectory.jsonl');
  copyFileSync(join(EXAMPLE, 'reference', 'solved', 'trajectory.jsonl'), log);
  return { folder, log };
}

/** The log's last turn line again, as the next turn (a resumed run's next step). */
function appendTurn(log: string): void {
  const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
  const turns = lines.filter((line) => (JSON.parse(line) as { type: string }).type === 'turn');
  const next = JSON.parse(turns.at(-1)!) as { turn: { index: number } };
  next.turn.index = turns.length;
  const finished = lines.at(-1)!;
  writeFileSync(log, [...lines.slice(0, -1), JSON.stringify(next), finished, ''].join('\n'));
}

interface IndexFile {
  version: number;
  runs: Record<string, { result: { facts: { turns: number } } }>;
}

function readIndex(folder: string): IndexFile {
  return JSON.parse(readFileSync(FactsIndex.path(folder), 'utf8')) as IndexFile;
}

/** Sets the turns the index keeps for every run (to see whether a report served them). */
function tamper(folder: string, change: (index: IndexFile) => void = () => undefined): void {
  const index = readIndex(folder);
  for (const entry of Object.values(index.runs)) entry.result.facts.turns = 999;
  change(index);
  writeFileSync(FactsIndex.path(folder), JSON.stringify(index));
}

/** The example task, its gold patch changing `goldFile` when given. */
async function exampleCatalog(goldFile?: string): Promise<TaskCatalog> {
  const { tasks } = await loadTasks(EXAMPLE);
  const goldPatch =
    goldFile && `diff --git a/${goldFile} b/${goldFile}\n--- a/${goldFile}\n+++ b/${goldFile}\n@@ -1 +1 @@\n-a\n+b\n`;
  const catalog = new TaskCatalog();
  catalog.add(goldPatch ? tasks.map((task) => ({ ...task, goldPatch })) : tasks, 'examples');
  return catalog;
}

async function collected(path: string, catalog?: TaskCatalog, keepFacts = true): Promise<RunFacts> {
  catalog ??= await exampleCatalog();
  const { facts } = await collectRunFacts([path], catalog, { keepFacts });
  assert.equal(facts.length, 1);
  return facts[0];
}

describe('run facts kept in one index per folder', () => {
  test('the first report keeps them; the next serves them while the log is unchanged', async () => {
    const { folder, log } = exampleRun();
    const read = (await readRunFacts(log, () => GOLD)).facts!;
    assert.deepEqual(await collected(folder), read);
    assert.deepEqual(Object.keys(readIndex(folder).runs), [join('run-1', 'trajectory.jsonl')]);
    tamper(folder);
    const kept = await collected(folder);
    assert.equal(kept.turns, 999, 'served from the index, not the log');
    assert.deepEqual({ ...kept, turns: read.turns }, read);
  });

  test('a turn appended to the log is in the next report: its entry is stale and is rewritten', async () => {
    const { folder, log } = exampleRun();
    const before = await collected(folder);
    tamper(folder);
    appendTurn(log);
    const after = await collected(folder);
    assert.equal(after.turns, before.turns + 1);
    assert.deepEqual(after, (await readRunFacts(log, () => GOLD)).facts);
    assert.equal(Object.values(readIndex(folder).runs)[0].result.facts.turns, after.turns);
  });

  test('a log given by itself keeps its facts in its folder; a moved folder keeps its index', async () => {
    const { folder, log } = exampleRun();
    await collected(log);
    assert.ok(existsSync(FactsIndex.path(join(folder, 'run-1'))));
    await collected(folder);
    tamper(folder);
    const moved = `${folder}-moved`;
    renameSync(folder, moved);
    const kept = await collected(moved);
    assert.equal(kept.turns, 999);
    assert.equal(kept.path, join(moved, 'run-1', 'trajectory.jsonl'));
  });

  test('other gold files, an unreadable index or another facts format read the log again', async () => {
    const { folder, log } = exampleRun();
    await collected(folder);
    tamper(folder);
    const otherGold = await exampleCatalog('elsewhere.js');
    assert.deepEqual(otherGold.goldFiles('pagekit__pagekit-14'), ['elsewhere.js']);
    assert.deepEqual(await collected(folder, otherGold), (await readRunFacts(log, () => ['elsewhere.js'])).facts);

    writeFileSync(FactsIndex.path(folder), '{"version": 1, "runs": ');
    assert.deepEqual(await collected(folder), (await readRunFacts(log, () => GOLD)).facts);

    tamper(folder, (index) => (index.version = FACTS_FORMAT_VERSION + 1));
    assert.deepEqual(await collected(folder), (await readRunFacts(log, () => GOLD)).facts);
  });

  test('a run removed from the folder leaves the index', async () => {
    const { folder } = exampleRun();
    mkdirSync(join(folder, 'run-2'));
    copyFileSync(join(folder, 'run-1', 'trajectory.jsonl'), join(folder, 'run-2', 'trajectory.jsonl'));
    await collectRunFacts([folder], await exampleCatalog());
    assert.equal(Object.keys(readIndex(folder).runs).length, 2);
    rmSync(join(folder, 'run-2'), { recursive: true });
    await collectRunFacts([folder], await exampleCatalog());
    assert.deepEqual(Object.keys(readIndex(folder).runs), [join('run-1', 'trajectory.jsonl')]);
  });

  test('without keeping, nothing is written and no index is read', async () => {
    const { folder, log } = exampleRun();
    await collected(folder, new TaskCatalog(), false);
    assert.equal(existsSync(FactsIndex.path(folder)), false);
    await collected(folder);
    tamper(folder);
    assert.equal((await collected(folder, new TaskCatalog(), false)).turns, (await readRunFacts(log)).facts?.turns);
  });

  test('the facts format is pinned: a change to the facts needs a new FACTS_FORMAT_VERSION', async () => {
    const { facts } = await readRunFacts(exampleRun().log, () => GOLD);
    const text = JSON.stringify({ ...facts, path: undefined });
    const hash = createHash('sha256').update(text).digest('hex');
    assert.equal(
      hash,
      FACTS_HASH_BY_VERSION[FACTS_FORMAT_VERSION],
      `the facts of the example run changed: if readRunFacts did, bump FACTS_FORMAT_VERSION and add its hash ${hash} (if the example's log did, replace the hash):\n${text}`,
    );
    const hashes = Object.values(FACTS_HASH_BY_VERSION);
    assert.equal(new Set(hashes).size, hashes.length, 'each version has facts of its own');
  });
});

/**
 * The demo's recorded runs (the reference replays of every example task) and the imported SWE-agent
 * trajectories, each copied as `copies` attempts with run ids of their own: enough logs for the report's threads.
 */
async function demoAndImportedRuns(copies: number): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'rollout-report-same-'));
  const imported = join(scratch, 'imported');
  for (const traj of ['swe-agent__test-repo-i1.traj', '6e44b9__sweagenttestrepo-1c2844.traj'])
    await importTrajectories(join(packageRoot(), 'test', 'fixtures', 'swe-agent', traj), 'swe-agent', imported);
  const runs = join(scratch, 'runs');
  for await (const log of findTrajectoryLogs([EXAMPLES, imported])) {
    if (!log.includes(`${join('reference', '')}`) && !log.startsWith(imported)) continue;
    const [first, ...rest] = readFileSync(log, 'utf8').split('\n');
    const started = JSON.parse(first) as { run: { run_id: string; attempt: number } };
    for (let copy = 0; copy < copies; copy++) {
      const run = { ...started.run, run_id: `${started.run.run_id}-${copy}`, attempt: copy };
      mkdirSync(join(runs, run.run_id), { recursive: true });
      writeFileSync(
        join(runs, run.run_id, 'trajectory.jsonl'),
        [JSON.stringify({ ...started, run }), ...rest].join('\n'),
      );
    }
  }
  return runs;
}

describe('the faster path gives the report of the straightforward one, byte for byte', () => {
  test('threads and kept facts, cold and warm, against each log read in turn (demo runs, SWE-agent imports)', async () => {
    const runs = await demoAndImportedRuns(25);
    const catalog = await loadCatalog([EXAMPLES], () => undefined);
    const facts: RunFacts[] = [];
    const problems: ReportProblem[] = [];
    for await (const log of findTrajectoryLogs([runs])) {
      const result = await readRunFacts(log, (taskId) => catalog.goldFiles(taskId));
      if (result.facts) facts.push(result.facts);
      problems.push(...result.problems);
    }
    assert.ok(facts.length >= 500, `${facts.length} runs: enough for the report's worker threads`);
    // Few resamples: the intervals are not what is compared here, and they cost most of the time.
    const bootstrap = { resamples: 100 };
    const cold = await createReport({ runs: [runs], tasks: [EXAMPLES], bootstrap });
    const straightforward = buildReport(facts, catalog, {
      by: 'policy',
      bootstrap: bootstrapSettings(bootstrap),
      sources: [runs],
      problems,
      generatedAt: cold.report.generatedAt,
    });
    assert.ok(facts.some((run) => run.importedFrom === 'swe-agent'));
    assert.ok(existsSync(FactsIndex.path(runs)), 'the cold report kept the facts');
    const warm = await createReport({ runs: [runs], tasks: [EXAMPLES], bootstrap });
    const expected = JSON.stringify(straightforward);
    assert.equal(JSON.stringify(cold.report), expected);
    assert.equal(JSON.stringify({ ...warm.report, generatedAt: cold.report.generatedAt }), expected);
  });
});
