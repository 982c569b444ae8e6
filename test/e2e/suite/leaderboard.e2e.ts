import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { createReport } from '../../../src/core/report/report';
import { writeTrajectory } from '../../../src/core/trajectory/import/importer';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import type { PlaybackPanel } from '../../../src/extension/playback/playbackPanel';
import type { LeaderboardPanel } from '../../../src/extension/views/leaderboardPanel';
import { api, PROJECT_ROOT, screenshot, ui, waitFor, workspaceFolder } from './helpers';

const EXAMPLES = path.join(PROJECT_ROOT, 'tasks', 'examples');
/** Its own output folder, so that the runs of other suites do not enter the figures (and these not theirs). */
const OUTPUT_FOLDER = '.rollout/leaderboard-runs';
const TASKS = ['pagekit__pagekit-14', 'pathnorm__pathnorm-5', 'semverkit__semverkit-7'];

/** The bundled reference recordings of three tasks, recorded into the output folder as runs of two policies. */
async function recordReferenceRuns(folder: string): Promise<void> {
  for (const taskId of TASKS) {
    for (const kind of ['solved', 'unsolved']) {
      const { trajectory } = await readTrajectoryLog(
        path.join(EXAMPLES, taskId, 'reference', kind, 'trajectory.jsonl'),
      );
      trajectory!.run.run_id = `leaderboard-${taskId}-${kind}`;
      await writeTrajectory(folder, trajectory!);
    }
  }
}

/** Rollout Studio: Show Leaderboard, in the real workbench: the figures of `rollout report`, filters, a click to playback. */
export function leaderboardTests(): void {
  describe('the Leaderboard over the output folder’s runs', () => {
    const folder = () => path.join(workspaceFolder(), OUTPUT_FOLDER);
    const settings = () => vscode.workspace.getConfiguration('rolloutStudio');
    let panel: LeaderboardPanel;

    before(async () => {
      // Activated first: a command run before activation answers through the main thread, as a JSON copy.
      await api();
      await settings().update('outputFolder', OUTPUT_FOLDER, vscode.ConfigurationTarget.Workspace);
      await recordReferenceRuns(folder());
    });
    after(async () => {
      panel?.dispose();
      await settings().update('outputFolder', undefined, vscode.ConfigurationTarget.Workspace);
    });

    it('shows the same figures as `rollout report` on the same folder, with every chart', async () => {
      panel = (await vscode.commands.executeCommand('rolloutStudio.showLeaderboard')) as LeaderboardPanel;
      const rendered = await waitFor(
        'the leaderboard to render',
        () => panel.lastRendered?.tasks === 3 && panel.lastRendered,
      );
      assert.deepEqual(rendered.groups, ['reference:solved', 'reference:unsolved']);
      assert.deepEqual(rendered.charts, ['resolved', 'pass-at-k', 'cost', 'turns', 'tools']);
      assert.equal(rendered.cells, 6);
      const { tasks } = await api();
      const { report } = await createReport({ runs: [folder()], tasks: tasks.taskSets.map((set) => set.path) });
      const shown = panel.lastReport!;
      assert.deepEqual({ ...shown, generatedAt: '' }, { ...report, generatedAt: '' });
      assert.equal(shown.groups[0].resolved?.value, 1);
      assert.equal(shown.groups[1].resolved?.value, 0);
      await screenshot('leaderboard');
    });

    it('filters by group and by dataset (the task set open in the Tasks view)', async () => {
      panel.applyFilters({ by: 'policy', datasets: [], groups: ['reference:unsolved'] });
      await waitFor('one group', () => panel.lastRendered?.groups.join() === 'reference:unsolved');
      assert.equal(panel.lastReport?.runs, 3);

      await vscode.commands.executeCommand('rolloutStudio.openTaskSet', path.join(EXAMPLES, 'pagekit__pagekit-14'));
      await panel.reload();
      panel.applyFilters({ by: 'policy', datasets: ['pagekit__pagekit-14'], groups: [] });
      const onePage = await waitFor(
        'the pagekit task set only',
        () => panel.lastRendered?.tasks === 1 && panel.lastRendered,
      );
      assert.equal(onePage.groups.length, 2);
      assert.deepEqual(panel.lastReport?.facets.datasets, ['(no task file)', 'pagekit__pagekit-14']);

      panel.applyFilters({ by: 'model', datasets: [], groups: [] });
      await waitFor('grouped by model', () => panel.lastReport?.by === 'model' && panel.lastRendered?.tasks === 3);
    });

    it('gives the Leaderboard tab its filters back after a window reload (serializer), and redraws a tab hidden and shown again', async () => {
      panel.dispose();
      const { leaderboardSerializer, leaderboard } = await api();
      // What VS Code does on a reload: a new, empty panel of the Leaderboard's type and the state its page kept.
      const tab = vscode.window.createWebviewPanel('rolloutStudio.leaderboard', 'restoring', vscode.ViewColumn.Active);
      await leaderboardSerializer.deserializeWebviewPanel(tab, {
        by: 'policy',
        datasets: [],
        groups: ['reference:unsolved'],
      });
      panel = leaderboard()!;
      assert.equal(panel.panel, tab, 'the restored tab is the Leaderboard again');
      await waitFor('the restored filters', () => panel.lastRendered?.groups.join() === 'reference:unsolved');
      assert.equal(panel.lastReport?.runs, 3);
      assert.equal(tab.options.retainContextWhenHidden, undefined, 'a hidden Leaderboard keeps no page alive');

      // Hidden behind another editor, its page is dropped; shown again, it asks for the report and draws it.
      let redrawn = false;
      const listener = panel.onDidRender((rendered) => (redrawn ||= rendered.groups.join() === 'reference:unsolved'));
      await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
      await waitFor('the Leaderboard hidden', () => !tab.visible);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await waitFor('the Leaderboard drawn again when shown, with its filters', () => tab.visible && redrawn);
      listener.dispose();
      panel.applyFilters({ by: 'policy', datasets: [], groups: [] });
      await waitFor('every group again', () => panel.lastRendered?.groups.length === 2);
    });

    // Clicking inside the webview needs the code-server harness; test-electron runs the rest.
    if (process.env.ROLLOUT_E2E_SCREENSHOTS)
      it('a click on an attempt in the matrix opens that run’s playback', async () => {
        const { panels } = await api();
        const before = panels.length;
        const runId = 'leaderboard-pathnorm__pathnorm-5-solved';
        await ui('clickWebview', `button.run[data-run="${runId}"]`);
        const playback: PlaybackPanel = await waitFor(
          'the playback of the clicked run',
          () => panels.length > before && panels.at(-1),
        );
        assert.equal(playback.logPath, path.join(folder(), runId, 'trajectory.jsonl'));
        await waitFor('its turns', () => playback.lastRendered?.turnCount === 5);
        playback.dispose();
      });
  });
}
