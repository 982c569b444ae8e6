import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { ExportSummary } from '../../../src/core/export/exporter';
import { thisProcess } from '../../../src/core/processOwner';
import type { ImportSummary } from '../../../src/core/trajectory/import/importer';
import { playbackLink } from '../../../src/core/trajectory/playbackLink';
import { readRunIndex, updateRunIndex } from '../../../src/core/trajectory/runIndex';
import { DIFF_SCHEME } from '../../../src/extension/playback/diffDocuments';
import type { PlaybackPanel } from '../../../src/extension/playback/playbackPanel';
import type { RunItem } from '../../../src/extension/views/runsTree';
import { api, FIXTURES, screenshot, ui, waitFor, workspaceFolder } from './helpers';
import { startSyntheticRun, syntheticTurn } from './fakeRun';

export function trajectoryTests(): void {
  describe('trajectories: import, Runs view, playback, export', () => {
    const outputFolder = () => path.join(workspaceFolder(), '.rollout', 'runs');
    let imported: ImportSummary;

    it('imports the real SWE-agent trajectory into the output folder and shows it in the Runs view', async () => {
      const file = path.join(FIXTURES, 'swe-agent', 'swe-agent__test-repo-i1.traj');
      imported = (await vscode.commands.executeCommand(
        'rolloutStudio.importTrajectory',
        vscode.Uri.file(file),
        'swe-agent',
      )) as ImportSummary;
      assert.equal(imported.runs.length, 1);
      assert.ok(existsSync(path.join(outputFolder(), imported.runs[0].run_id, 'trajectory.jsonl')));
      const { runs } = await api();
      const items = await waitFor('the imported run in the Runs view', async () => {
        const children = await runs.getChildren();
        return children.some((item) => item.entry.run_id === imported.runs[0].run_id) && children;
      });
      const item = items.find((candidate) => candidate.entry.run_id === imported.runs[0].run_id)!;
      assert.equal(item.entry.turns, imported.runs[0].turns);
      assert.match(String(item.description), new RegExp(`${imported.runs[0].turns} turns`));
    });

    it('opens the imported run in the playback webview, which renders every turn', async () => {
      const { runs } = await api();
      const item = (await runs.getChildren()).find((candidate) => candidate.entry.run_id === imported.runs[0].run_id)!;
      const panel = (await vscode.commands.executeCommand('rolloutStudio.openRun', item)) as PlaybackPanel;
      const rendered = await waitFor(
        'the playback webview to render',
        () => panel.lastRendered?.turnCount === imported.runs[0].turns && panel.lastRendered,
      );
      assert.equal(rendered.selectedTurn, 0);
      await screenshot('playback-imported-swe-agent-run');
      panel.dispose();
    });

    it('exports the output folder as an SFT dataset with a dataset card', async () => {
      const out = path.join(workspaceFolder(), 'datasets', 'sft');
      const summary = (await vscode.commands.executeCommand('rolloutStudio.exportDataset', {
        format: 'sft',
        out,
        runs: [outputFolder()],
      })) as ExportSummary;
      assert.ok(summary, `export failed: ${JSON.stringify((await api()).failures.at(-1))}`);
      assert.ok(existsSync(summary.card), `the dataset card ${summary.card} was written`);
      for (const file of summary.files) assert.ok(existsSync(path.join(out, file)), `${file} was written`);
    });

    it('plays back a 1,000-turn run with a virtualised list, keyboard navigation and search, and "Open diff" in the diff editor on virtual documents', async () => {
      const recorder = await startSyntheticRun(outputFolder(), 'thousand-turns');
      for (let index = 0; index < 1000; index++) await recorder.recordTurn(syntheticTurn(index));
      await recorder.finish({
        exit_status: 'submitted',
        patch: syntheticTurn(999).diff!,
        reward: {
          value: 1,
          resolved: true,
          report: {
            FAIL_TO_PASS: { success: ['test_calc'], failure: [] },
            PASS_TO_PASS: { success: ['test_other'], failure: [] },
          },
        },
      });
      await recorder.close();
      const panel = (await vscode.commands.executeCommand(
        'rolloutStudio.openTrajectory',
        recorder.path,
      )) as PlaybackPanel;
      const rendered = await waitFor(
        '1,000 turns rendered',
        () => panel.lastRendered?.turnCount === 1000 && panel.lastRendered,
      );
      assert.ok(
        rendered.renderedRows > 0 && rendered.renderedRows < 120,
        `${rendered.renderedRows} rows in the DOM for 1,000 turns`,
      );
      await screenshot('playback-thousand-turns');
      assert.deepEqual(rendered.chart, [
        'Cumulative turn reward: 10.000 after 1000 turns (axis 0 to 10.000)',
        'Final reward: 1',
      ]);
      if (process.env.ROLLOUT_E2E_SCREENSHOTS) await keyboardAndSearch(panel);

      const { diffs } = await api();
      // The store also serves other documents (an earlier test's task details): count this panel's own.
      const othersBefore = diffs.size;
      await panel.openDiff(500);
      const editor = await waitFor('the diff editor', () =>
        vscode.window.visibleTextEditors.find(
          (candidate) =>
            candidate.document.uri.scheme === DIFF_SCHEME &&
            candidate.document.uri.path.endsWith('turn-500-after.diff'),
        ),
      );
      assert.match(editor.document.getText(), /\+value_500 = 500/);
      assert.equal(diffs.size, othersBefore + 2);
      await screenshot('diff-editor-turn-500');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      assert.equal(diffs.size, othersBefore, 'closing the playback forgets its virtual documents');
    });

    // That a playback tab comes back after a window reload: reload.e2e.ts, with a real reload.
    it('closes a playback tab VS Code restores after a reload when its run was deleted since', async () => {
      const { playbackSerializer } = await api();
      const gone = vscode.window.createWebviewPanel('rolloutStudio.playback', 'restoring', vscode.ViewColumn.Active);
      let closed = false;
      gone.onDidDispose(() => (closed = true));
      await playbackSerializer.deserializeWebviewPanel(gone, {
        logPath: path.join(outputFolder(), 'deleted', 'trajectory.jsonl'),
        selected: 0,
      });
      assert.ok(closed, 'a tab whose run was deleted since closes');
    });

    it('streams a run that is still being recorded into the open playback view', async () => {
      const recorder = await startSyntheticRun(outputFolder(), 'live-run');
      await recorder.recordTurn(syntheticTurn(0));
      const panel = (await vscode.commands.executeCommand(
        'rolloutStudio.openTrajectory',
        path.dirname(recorder.path),
      )) as PlaybackPanel;
      await waitFor('the first turn', () => panel.lastRendered?.turnCount === 1);
      for (let index = 1; index < 5; index++) await recorder.recordTurn(syntheticTurn(index));
      await waitFor(
        'five streamed turns',
        () => panel.lastRendered?.turnCount === 5 && panel.lastRendered.selectedTurn === 4,
      );
      await recorder.finish({ exit_status: 'submitted', patch: '', reward: { value: 0 } });
      await recorder.close();
      panel.dispose();
    });

    it('shows compaction and error events, a readable header and an outcome badge, in one panel per run', async () => {
      const recorder = await startSyntheticRun(outputFolder(), 'with-events');
      await recorder.recordTurn(syntheticTurn(0));
      await recorder.recordEvent('compaction', {
        strategy: 'sliding_window',
        turns_elided: 1,
        estimated_tokens_before: 9000,
        estimated_tokens_after: 4000,
      });
      await recorder.recordTurn(syntheticTurn(1));
      await recorder.recordEvent('judge_error', { error: "the judge's model failed: 503" });
      await recorder.finish({ exit_status: 'submitted', patch: '', reward: { value: 0 } });
      await recorder.close();
      const { panels } = await api();
      const panel = (await vscode.commands.executeCommand(
        'rolloutStudio.openTrajectory',
        recorder.path,
      )) as PlaybackPanel;
      const rendered = await waitFor(
        'the run with its events',
        () => panel.lastRendered?.events === 2 && panel.lastRendered,
      );
      assert.equal(rendered.outcome, 'outcome-fail', 'a submitted run with reward 0 is not shown as a pass');
      assert.match(rendered.header, /✗ submitted · reward 0/);
      assert.doesNotMatch(rendered.header, /\d{4}-\d\d-\d\dT/, 'no raw ISO timestamp');
      assert.match(rendered.header, /synthetic:e2e \(none\) · 2 turns · started /);
      const count = panels.length;
      const again = await vscode.commands.executeCommand('rolloutStudio.openTrajectory', path.dirname(recorder.path));
      assert.equal(again, panel, 'opening the run again reveals its panel');
      assert.equal(panels.length, count);
      panel.dispose();
    });

    it('opens the playback of a run from the link `rollout demo --open` gives', async () => {
      const recorder = await startSyntheticRun(outputFolder(), 'opened-by-link');
      await recorder.recordTurn(syntheticTurn(0));
      await recorder.finish({ exit_status: 'submitted', patch: '', reward: { value: 0 } });
      await recorder.close();
      const { uriHandler, panels } = await api();
      const before = panels.length;
      await uriHandler.handleUri(vscode.Uri.parse(playbackLink(recorder.path)));
      const panel = await waitFor(
        'the playback opened by the link',
        () => panels.length === before + 1 && panels.at(-1),
      );
      await waitFor('its turn', () => panel.lastRendered?.turnCount === 1);
      panel.dispose();
    });

    it('keeps API keys in secret storage only, never in settings', async () => {
      const { apiKeys } = await api();
      const key = 'sk-e2e-secret-0123456789abcdef';
      await vscode.commands.executeCommand(
        'rolloutStudio.selectModelEndpoint',
        'http://127.0.0.1:8000/v1',
        'tiny-model',
      );
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.setApiKey', key), true);
      assert.equal(await apiKeys.get('http://127.0.0.1:8000/v1'), key);
      const settingsFile = path.join(workspaceFolder(), '.vscode', 'settings.json');
      const settingsText = readFileSync(settingsFile, 'utf8');
      assert.match(settingsText, /tiny-model/);
      assert.doesNotMatch(settingsText, /sk-e2e-secret/);
    });

    it('labels a run left "running" by a crash as not finished, and deletes it after a warning', async () => {
      const recorder = await startSyntheticRun(outputFolder(), 'left-by-a-crash');
      await recorder.recordTurn(syntheticTurn(0));
      // No finish: the run index keeps saying "running", as after a crash; the process it names has exited.
      await recorder.close();
      const entry = (await readRunIndex(outputFolder())).find((candidate) => candidate.run_id === 'left-by-a-crash')!;
      await updateRunIndex(outputFolder(), { ...entry, owner: { ...thisProcess(), pid: spawnSync('true').pid } });
      const { runs } = await api();
      runs.refresh();
      const item = await waitFor('the stale run in the Runs view', async () =>
        (await runs.getChildren()).find((candidate: RunItem) => candidate.entry.run_id === 'left-by-a-crash'),
      );
      assert.equal(item.contextValue, 'run.stale');
      assert.match(String(item.description), /^not finished .* · attempt 1 · synthetic:e2e · (\d+ \w+ )?\d\d:\d\d$/);
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.deleteRun', item, true), true);
      assert.equal(existsSync(path.dirname(item.logPath)), false);
      assert.ok(!(await runs.getChildren()).some((candidate) => candidate.entry.run_id === 'left-by-a-crash'));
    });

    it('deletes a finished run from its context menu', async () => {
      const { runs } = await api();
      const item = (await runs.getChildren()).find(
        (candidate: RunItem) => candidate.entry.run_id === imported.runs[0].run_id,
      )!;
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.deleteRun', item, true), true);
      assert.equal(existsSync(path.dirname(item.logPath)), false);
      assert.ok(
        !(await runs.getChildren()).some((candidate) => candidate.entry.run_id === item.entry.run_id),
        'the run left the Runs view',
      );
    });
  });
}

/** Keyboard navigation and search, typed into the real webview by the code-server harness. */
async function keyboardAndSearch(panel: PlaybackPanel): Promise<void> {
  await ui('clickWebview', '.row[data-index="2"]');
  await waitFor('a click to select turn 2', () => panel.lastRendered?.selectedTurn === 2);
  await ui('press', 'ArrowDown');
  await ui('press', 'j');
  await waitFor('two steps down to turn 4', () => panel.lastRendered?.selectedTurn === 4);
  await ui('press', 'End');
  const last = await waitFor(
    'End to select the last turn',
    () => panel.lastRendered?.selectedTurn === 999 && panel.lastRendered,
  );
  assert.ok(last.renderedRows < 120, 'scrolled to the end, still only the visible rows in the DOM');
  await ui('press', '/');
  await ui('type', 'echo step 50');
  // Turns 50 and 500–509 mention "echo step 50…"; the first match is selected.
  const searched = await waitFor(
    'search to find 11 turns',
    () => panel.lastRendered?.matches === 11 && panel.lastRendered,
  );
  assert.equal(searched.selectedTurn, 50);
  await ui('press', 'Enter');
  await waitFor('Enter to jump to the next match', () => panel.lastRendered?.selectedTurn === 500);
}
