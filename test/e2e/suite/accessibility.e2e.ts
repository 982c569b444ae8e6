import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { AxeResults } from '../host/codeServerHost';
import type { PlaybackPanel, RenderedState } from '../../../src/extension/playback/playbackPanel';
import { startSyntheticRun, syntheticTurn } from './fakeRun';
import { screenshot, THEMES, ui, waitFor, workspaceFolder } from './helpers';

/**
 * Playback's keyboard and screen-reader behaviour, and axe-core's WCAG 2 A/AA rules (colour contrast included)
 * on the rendered webview in each theme. Drives the page through the code-server harness, so it runs only there.
 */
export function accessibilityTests(): void {
  describe('playback accessibility: a listbox, errors not by colour alone, contrast in light, dark and high contrast', () => {
    const workbench = () => vscode.workspace.getConfiguration('workbench');
    let panel: PlaybackPanel;
    const renders: RenderedState[] = [];

    after(async () => {
      panel?.dispose();
      await workbench().update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    });

    it('opens a run with an error, events and a graded result, the turn list focused as a listbox', async () => {
      const recorder = await startSyntheticRun(path.join(workspaceFolder(), '.rollout', 'runs'), 'accessibility');
      for (let index = 0; index < 40; index++) {
        const turn = syntheticTurn(index);
        if (index === 1) turn.observations[0] = { ...turn.observations[0], exit_code: 2, is_error: true };
        await recorder.recordTurn(turn);
        if (index === 2) await recorder.recordEvent('judge_error', { error: "the judge's model failed: 503" });
      }
      await recorder.finish({
        exit_status: 'submitted',
        patch: syntheticTurn(39).diff!,
        reward: {
          value: 0.5,
          resolved: false,
          report: {
            FAIL_TO_PASS: { success: ['test_calc'], failure: ['test_edge'] },
            PASS_TO_PASS: { success: ['test_other'], failure: [] },
          },
        },
      });
      await recorder.close();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      panel = (await vscode.commands.executeCommand('rolloutStudio.openTrajectory', recorder.path)) as PlaybackPanel;
      panel.onDidRender((rendered) => renders.push(rendered));
      const rendered = await waitFor(
        'the run rendered',
        () => panel.lastRendered?.turnCount === 40 && panel.lastRendered,
      );
      assert.equal(rendered.activeDescendant, 'turn-0');
      await ui('waitWebview', '.timeline[role="listbox"][aria-activedescendant="turn-0"]:focus');
      await ui('waitWebview', '#turn-0[role="option"][aria-selected="true"][aria-setsize="40"][aria-posinset="1"]');
    });

    it('marks errors with a sign and words, not colour alone', async () => {
      // Turn 1's tool failed; an error event came after turn 2.
      await ui('waitWebview', '#turn-1 .row-error .visually-hidden');
      await ui('waitWebview', '#turn-3 .row-error[title*="Error · "]');
      await ui('clickWebview', '#turn-1');
      const detail = await waitFor('turn 1 in the detail pane', () =>
        panel.lastRendered?.selectedTurn === 1 ? panel.lastRendered.detail : undefined,
      );
      assert.match(detail, /⚠ Error · Observation: bash \(exit 2\)/);
    });

    it('moves the selection with the arrow keys, Home and End in the list, and leaves them to the detail pane there', async () => {
      await ui('press', 'ArrowDown');
      await waitFor('ArrowDown to select turn 2', () => panel.lastRendered?.activeDescendant === 'turn-2');
      await ui('press', 'End');
      await waitFor('End to select the last turn', () => panel.lastRendered?.activeDescendant === 'turn-39');
      await ui('press', 'Home');
      await waitFor('Home to select the first turn', () => panel.lastRendered?.activeDescendant === 'turn-0');
      // In the detail pane the arrow keys scroll it: the selection stays until a row is chosen again.
      const from = renders.length;
      await ui('clickWebview', '.detail-column h2');
      await ui('waitWebview', '.detail-column:focus');
      await ui('press', 'ArrowDown');
      await ui('press', 'End');
      await ui('clickWebview', '#turn-5');
      await waitFor('a click to select turn 5', () => panel.lastRendered?.selectedTurn === 5);
      assert.deepEqual(
        renders.slice(from).filter((rendered) => ![0, 5].includes(rendered.selectedTurn)),
        [],
        'the keys pressed in the detail pane moved the selection',
      );
    });

    for (const theme of THEMES)
      it(`has no serious or critical axe-core violation in the ${theme.name} theme (${theme.id})`, async () => {
        await workbench().update('colorTheme', theme.id, vscode.ConfigurationTarget.Global);
        // The webview's body takes the theme's class when its colours are applied.
        await ui('waitWebview', `body.${theme.bodyClass}`);
        // The selected row is checked as the list shows it with focus, and an error row is in view.
        await ui('clickWebview', '#turn-3');
        await waitFor('turn 3 selected', () => panel.lastRendered?.selectedTurn === 3);
        await ui('axe', `playback-${theme.name}`);
        const dir = process.env.ROLLOUT_E2E_SCREENSHOTS!;
        const results = JSON.parse(
          readFileSync(path.join(dir, `playback-${theme.name}.axe.json`), 'utf8'),
        ) as AxeResults;
        const serious = results.violations.filter((violation) =>
          ['serious', 'critical'].includes(violation.impact ?? ''),
        );
        assert.deepEqual(
          serious.map(
            (violation) =>
              `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => `${JSON.stringify(node.target)} ${node.failureSummary ?? ''}`).join('; ')}`,
          ),
          [],
        );
        await screenshot(`playback-${theme.name}`);
      });

    it('a playback page built while another input has the focus leaves it there: an open quick input stays open', async () => {
      // Of two playbacks in one group the hidden one's page is dropped, and built again when it is shown.
      const recorder = await startSyntheticRun(path.join(workspaceFolder(), '.rollout', 'runs'), 'background');
      await recorder.recordTurn(syntheticTurn(0));
      await recorder.close();
      const background = (await vscode.commands.executeCommand(
        'rolloutStudio.openTrajectory',
        recorder.path,
      )) as PlaybackPanel;
      await waitFor('the background run rendered', () => background.lastRendered);
      let shownAgain = false;
      const listening = panel.onDidRender(() => (shownAgain = true));
      panel.panel.reveal();
      await waitFor('the first run shown again', () => shownAgain && !background.panel.visible);
      listening.dispose();
      try {
        await vscode.commands.executeCommand('workbench.action.quickOpen');
        await ui('waitFor', '.quick-input-widget .quick-input-box input:focus');
        let built = false;
        background.onDidRender(() => (built = true));
        background.panel.reveal(undefined, true);
        await waitFor('the background page built and rendered', () => built);
        await ui('waitFor', '.quick-input-widget .quick-input-box input:focus');
        // A click that gives the page the focus puts it where it was aimed, not in the turn list.
        await ui('clickWebview', 'input.search');
        await ui('waitWebview', 'input.search:focus');
      } finally {
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        background.dispose();
      }
    });
  });
}
