import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { extension, PROJECT_ROOT } from './helpers';

export function activationTests(): void {
  describe('activation', () => {
    it('is lazy: the extension is not active until one of its commands or views is used', () => {
      assert.equal(extension().isActive, false);
    });

    it('activates on demand, and its activation time is measured', async () => {
      const started = Date.now();
      const api = await extension().activate();
      const wallMs = Date.now() - started;
      console.log(
        `    activation: ${api.activationMs.toFixed(1)} ms inside activate(), ${wallMs} ms including loading the bundle`,
      );
      console.log(`    extension loaded from ${extension().extensionPath}`);
      assert.equal(extension().isActive, true);
      assert.ok(api.activationMs > 0);
    });

    it('registers every command that package.json contributes', async () => {
      const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
        contributes: { commands: { command: string }[] };
      };
      const registered = new Set(await vscode.commands.getCommands(true));
      const contributed = manifest.contributes.commands.map((entry) => entry.command);
      assert.ok(contributed.length >= 8, `package.json contributes ${contributed.length} commands`);
      assert.deepEqual(
        contributed.filter((command) => !registered.has(command)),
        [],
      );
    });

    it('contributes its settings with their defaults', () => {
      const config = vscode.workspace.getConfiguration('rolloutStudio');
      assert.equal(config.get('workers'), 2);
      assert.equal(config.get('outputFolder'), '.rollout/runs');
      assert.equal(config.get('image.profile'), 'python');
      assert.equal(typeof config.get('budget.maxTurns'), 'number');
    });
  });
}
