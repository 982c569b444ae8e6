import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../../src/core/paths';
import { bootstrapSettings } from '../../../src/core/report/bootstrap';
import { buildReport } from '../../../src/core/report/buildReport';
import { loadCatalog, TaskCatalog } from '../../../src/core/report/catalog';
import { collectRunFacts } from '../../../src/core/report/collect';
import { FACTS_FORMAT_VERSION, factsEntryPath, readRunFactsKept } from '../../../src/core/report/factsCache';
import type { ReportProblem, RunFacts } from '../../../src/core/report/model';
import { createReport } from '../../../src/core/report/report';
import { readRunFacts } from '../../../src/core/report/runFacts';
import { filesInPatch } from '../../../src/core/task/environment';
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

/** A copy of the example's solved reference run in a folder of its own. */
function exampleRun(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'rollout-report-kept-')), 'run-1');
  mkdirSync(dir);
  const log = join(dir, 'trajectory.jsonl');
  copyFileSync(join(EXAMPLE, 'reference', 'solved', 'trajectory.jsonl'), log);
  return log;
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

function tamper(log: string, change: (entry: { result: { facts: { turns: number } } }) => void): void {
  const entry = JSON.parse(readFileSync(factsEntryPath(log), 'utf8')) as { result: { facts: { turns: number } } };
  change(entry);
  writeFileSync(factsEntryPath(log), JSON.stringify(entry));
}

describe('run facts kept beside the log', () => {
  test('the first report keeps them; the next serves them while the log is unchanged', async () => {
    const log = exampleRun();
    const read = await readRunFacts(log, () => GOLD);
    assert.deepEqual(await readRunFactsKept(log, () => GOLD), read);
    assert.ok(existsSync(factsEntryPath(log)));
    tamper(log, (entry) => (entry.result.facts.turns = 999));
    const kept = await readRunFactsKept(log, () => GOLD);
    assert.equal(kept.facts?.turns, 999, 'served from the entry, not the log');
    assert.deepEqual({ ...kept.facts, turns: read.facts?.turns }, read.facts);
  });

  test('a turn appended to the log is in the next report: the entry is stale and is rewritten', async () => {
    const log = exampleRun();
    const catalog = new TaskCatalog();
    const before = (await collectRunFacts([log], catalog)).facts[0];
    tamper(log, (entry) => (entry.result.facts.turns = 999));
    appendTurn(log);
    const after = (await collectRunFacts([log], catalog)).facts[0];
    assert.equal(after.turns, before.turns + 1);
    assert.deepEqual(after, (await readRunFacts(log)).facts);
    assert.equal(
      (JSON.parse(readFileSync(factsEntryPath(log), 'utf8')) as { result: { facts: { turns: number } } }).result.facts
        .turns,
      after.turns,
    );
  });

  test('other gold files, an unreadable entry or another facts format read the log again', async () => {
    const log = exampleRun();
    await readRunFactsKept(log, () => GOLD);
    tamper(log, (entry) => (entry.result.facts.turns = 999));
    const otherGold = await readRunFactsKept(log, () => ['elsewhere.js']);
    assert.deepEqual(otherGold, await readRunFacts(log, () => ['elsewhere.js']));

    writeFileSync(factsEntryPath(log), '{"version": 1, "size": ');
    assert.deepEqual(await readRunFactsKept(log, () => GOLD), await readRunFacts(log, () => GOLD));

    tamper(log, (entry) => {
      entry.result.facts.turns = 999;
      (entry as unknown as { version: number }).version = FACTS_FORMAT_VERSION + 1;
    });
    assert.deepEqual(await readRunFactsKept(log, () => GOLD), await readRunFacts(log, () => GOLD));
  });

  test('without keeping, nothing is written and no entry is read', async () => {
    const log = exampleRun();
    await collectRunFacts([log], new TaskCatalog(), { keepFacts: false });
    assert.equal(existsSync(factsEntryPath(log)), false);
    await readRunFactsKept(log);
    tamper(log, (entry) => (entry.result.facts.turns = 999));
    const { facts } = await collectRunFacts([log], new TaskCatalog(), { keepFacts: false });
    assert.equal(facts[0].turns, (await readRunFacts(log)).facts?.turns);
  });

  test('the facts format is pinned: a change to the facts needs a new FACTS_FORMAT_VERSION', async () => {
    const { facts } = await readRunFacts(exampleRun(), () => GOLD);
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
    assert.ok(existsSync(factsEntryPath(facts[0].path)), 'the cold report kept the facts');
    const warm = await createReport({ runs: [runs], tasks: [EXAMPLES], bootstrap });
    const expected = JSON.stringify(straightforward);
    assert.equal(JSON.stringify(cold.report), expected);
    assert.equal(JSON.stringify({ ...warm.report, generatedAt: cold.report.generatedAt }), expected);
  });
});
