import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { collectCandidates, SCORE_FILE } from '../../../src/core/train/select';
import { trainerDir } from '../../../src/core/train/venv';
import { Verifier } from '../../../src/core/train/verifier';
import { recordRuns } from '../../support/recordedRuns';
import { tempDir } from './helpers';

/**
 * The fewest right answers out of `runs` that a verifier guessing at chance (each run right with probability 1/2,
 * independently) reaches with probability at most `alpha`: the binomial tail, summed exactly.
 */
function chanceBound(runs: number, alpha: number): number {
  const choose = (n: number, k: number): number => (k === 0 ? 1 : (choose(n, k - 1) * (n - k + 1)) / k);
  let tail = 0;
  for (let right = runs; right >= 0; right -= 1) {
    tail += choose(runs, right) / 2 ** runs;
    if (tail > alpha) return right + 1;
  }
  return 0;
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(dirname(dirname(trainerDir())), 'dist', 'cli.js'), ...args], {
    encoding: 'utf8',
    timeout: 900_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('verifier: trained by the Python runner, scored in Node with onnxruntime-node', { timeout: 1_800_000 }, () => {
  test('`rollout train --method verifier` then `rollout select`: Node scores equal Python scores to 1e-5', async () => {
    const folder = tempDir('verifier');
    const runs = join(folder, 'runs');
    // Separable runs: the last test run passes exactly when the run solved its task, so a verifier that learnt
    // anything is right on held-out tasks far more often than one guessing.
    await recordRuns(runs, { tasks: 20, lastTestAgreement: 1 });
    const model = join(folder, 'verifier');

    const trained = cli('train', '--method', 'verifier', '--runs', runs, '--out', model);
    assert.equal(trained.status, 0, trained.stderr + trained.stdout);
    assert.match(trained.stdout, /verifier dataset: 80 scored runs from 80 finished runs/);

    const pythonScores = new Map<string, number>(
      readFileSync(join(model, 'verifier-scores.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const row = JSON.parse(line) as { run_id: string; score: number };
          return [row.run_id, row.score];
        }),
    );
    const scan = await collectCandidates([runs]);
    assert.equal(scan.candidates.length, 80);
    const verifier = await Verifier.load(model);
    try {
      const nodeScores = await verifier.score(scan.candidates.map((candidate) => candidate.features));
      let worst = 0;
      scan.candidates.forEach((candidate, index) => {
        const expected = pythonScores.get(candidate.runId);
        assert.ok(expected !== undefined, candidate.runId);
        worst = Math.max(worst, Math.abs(nodeScores[index] - expected));
      });
      console.log(`largest |node - python| score difference over 80 runs: ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-5, `scores differ by ${worst}`);
      assert.ok(new Set(nodeScores.map((score) => score.toFixed(6))).size > 2, 'the scores vary across runs');

      // Held-out accuracy from the Node scores and the runs' own outcomes, not from the card.
      const heldOutTasks = new Set(verifier.card.holdout_tasks);
      const heldOut = scan.candidates.flatMap((candidate, index) =>
        heldOutTasks.has(candidate.taskId) ? [{ resolved: candidate.resolved, score: nodeScores[index] }] : [],
      );
      assert.equal(heldOut.length, verifier.card.holdout_runs);
      assert.ok(heldOut.length >= 16, `${heldOut.length} held-out runs`);
      const right = heldOut.filter((run) => run.score >= 0.5 === run.resolved).length;
      const solved = heldOut.filter((run) => run.resolved).length;
      assert.ok(solved > 0 && solved < heldOut.length, 'the held-out runs have both outcomes');
      const majorityRight = Math.max(solved, heldOut.length - solved);
      const bound = chanceBound(heldOut.length, 0.001);
      console.log(
        `held-out: ${right} of ${heldOut.length} right; chance reaches ${bound} with p ≤ 0.001; always one answer: ${majorityRight}`,
      );
      assert.ok(right >= bound, `${right} of ${heldOut.length} right: no better than guessing (bound ${bound})`);
      assert.ok(right > majorityRight, `${right} right: no better than always giving one answer (${majorityRight})`);
      assert.ok(
        Math.abs((verifier.card.holdout_accuracy ?? -1) - right / heldOut.length) < 1e-6,
        `the card's held-out accuracy ${verifier.card.holdout_accuracy}`,
      );
    } finally {
      await verifier.close();
    }

    const selected = cli('select', '--runs', runs, '--verifier', model, '--json');
    assert.equal(selected.status, 0, selected.stderr);
    const report = JSON.parse(selected.stdout) as {
      summary: { tasks: number };
      selections: { task_id: string; run_id: string; score: number }[];
    };
    assert.equal(report.summary.tasks, 20);
    for (const selection of report.selections) {
      const attempts = scan.candidates.filter((candidate) => candidate.taskId === selection.task_id);
      const best = Math.max(...attempts.map((candidate) => pythonScores.get(candidate.runId)!));
      assert.ok(Math.abs(selection.score - best) <= 1e-5, `${selection.task_id}: chose ${selection.run_id}`);
    }
    for (const candidate of scan.candidates) {
      const stored = JSON.parse(readFileSync(join(dirname(candidate.path), SCORE_FILE), 'utf8')) as {
        score: number;
        run_id: string;
      };
      assert.equal(stored.run_id, candidate.runId);
      assert.ok(Math.abs(stored.score - pythonScores.get(candidate.runId)!) <= 1e-5);
    }
    assert.ok(existsSync(join(model, 'verifier.onnx')));
  });
});
