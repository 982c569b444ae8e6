import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { PlaybackPanel } from '../../../src/extension/playback/playbackPanel';
import { startSyntheticRun } from './fakeRun';
import { ui, waitFor, workspaceFolder } from './helpers';

/** Markup that would set `data-pwned` on the page's body if it ran: as an inline script, an error handler, or past a textarea. */
const hostile = (where: string) =>
  `</textarea><img src=x onerror="document.body.dataset.pwned='${where}-img'"><script>document.body.dataset.pwned='${where}-script'</script><b>${where}</b>`;

/**
 * A run whose task id, model message and observation hold HTML meant to run in the playback webview: it is shown
 * as text, nothing of it runs, and the panel still answers. Drives the page through the code-server harness.
 */
export function hostilePlaybackTests(): void {
  describe('playback of a run holding hostile HTML', () => {
    let panel: PlaybackPanel;
    after(() => panel?.dispose());

    it('shows the markup of the task id, message and observation as text, and none of it runs', async () => {
      const recorder = await startSyntheticRun(path.join(workspaceFolder(), '.rollout', 'runs'), 'hostile-html', {
        task_id: `task ${hostile('task')}`,
      });
      const args = JSON.stringify({ command: `echo '${hostile('arguments')}'` });
      for (let index = 0; index < 2; index++)
        await recorder.recordTurn({
          messages: [
            {
              role: 'assistant',
              content: `message ${hostile('message')}`,
              tool_calls: [{ id: `call_${index}`, type: 'function', function: { name: 'bash', arguments: args } }],
            },
            { role: 'tool', content: hostile('observation'), tool_call_id: `call_${index}` },
          ],
          observations: [
            {
              tool_call_id: `call_${index}`,
              tool: 'bash',
              arguments: args,
              output: hostile('observation'),
              truncated: false,
            },
          ],
        });
      await recorder.finish({ exit_status: 'submitted', patch: '', reward: { value: 0 } });
      await recorder.close();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      panel = (await vscode.commands.executeCommand('rolloutStudio.openTrajectory', recorder.path)) as PlaybackPanel;
      const rendered = await waitFor(
        'the run rendered',
        () => panel.lastRendered?.turnCount === 2 && panel.lastRendered,
      );
      assert.ok(rendered.header.includes(hostile('task')), rendered.header);
      for (const where of ['message', 'arguments', 'observation'])
        assert.ok(rendered.detail.includes(`document.body.dataset.pwned='${where}-script'`), rendered.detail);
      // In the page: the markup is text in the detail pane, no element was made of it, no handler or script ran.
      await ui('waitWebview', `.detail pre:has-text("</textarea><img src=x onerror=")`);
      await ui('waitWebview', 'body:not([data-pwned]) .app:not(:has(img, b, textarea))');
    });

    it('still answers: another turn is selected and shown, and still nothing has run', async () => {
      await ui('clickWebview', '#turn-1');
      const detail = await waitFor('turn 1 in the detail pane', () =>
        panel.lastRendered?.selectedTurn === 1 ? panel.lastRendered.detail : undefined,
      );
      assert.match(detail, /Turn 1/);
      assert.ok(detail.includes(hostile('observation')), detail);
      await ui('waitWebview', 'body:not([data-pwned]) .app:not(:has(img, b, textarea))');
    });
  });
}
