import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { BuiltImage } from '../../../src/extension/commands/imageCommands';

export function imageTests(): void {
  describe('sandbox images', () => {
    it('Build Sandbox Images finds the images its shipped recipes name, and leaves an up-to-date one alone', async () => {
      const results = (await vscode.commands.executeCommand('rolloutStudio.buildImages', ['python'])) as BuiltImage[];
      assert.equal(results.length, 1);
      assert.equal(results[0].profile, 'python');
      assert.match(results[0].image, /^rollout-studio\/python:[0-9a-f]{12}$/);
      assert.equal(results[0].built, false);
    });
  });
}
