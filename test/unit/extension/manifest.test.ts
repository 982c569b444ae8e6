import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../../src/core/paths';

interface Step {
  id: string;
  description: string;
  media: { markdown: string };
  completionEvents: string[];
}
const root = packageRoot();
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const contributed = new Set<string>(manifest.contributes.commands.map((entry: { command: string }) => entry.command));
const vsixIgnore = readFileSync(join(root, '.vscodeignore'), 'utf8');

describe("the extension's manifest (package.json contributes)", () => {
  test('the walkthrough goes Docker → images → example tasks → run → watch → export', () => {
    const [walkthrough] = manifest.contributes.walkthroughs;
    const steps = walkthrough.steps as Step[];
    assert.deepEqual(
      steps.map((step) => step.id),
      ['checkDocker', 'buildImages', 'openTasks', 'runAgent', 'watchRun', 'exportDataset'],
    );
    for (const step of steps) {
      assert.ok(existsSync(join(root, step.media.markdown)), `${step.id}: ${step.media.markdown} is missing`);
      const links = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((match) => match[1]);
      assert.ok(links.length > 0, `${step.id} has a button`);
      for (const link of links) assert.ok(contributed.has(link), `${step.id} links ${link}, which is no command`);
      assert.ok(step.completionEvents.length > 0, `${step.id} completes on something`);
      for (const event of step.completionEvents) {
        const [kind, name] = event.split(/:(.*)/);
        assert.ok(kind === 'onCommand' || kind === 'onContext', `${step.id}: ${event}`);
        if (kind === 'onCommand') assert.ok(contributed.has(name), `${step.id} completes on ${name}, no command`);
      }
    }
    assert.match(vsixIgnore, /^!media\/walkthrough\/\*\.md$/m, "the VSIX ships the walkthrough's pages");
    assert.match(vsixIgnore, /^!tasks\/examples\/\*\*$/m, 'the VSIX ships the example tasks');
  });

  test("the VSIX ships the script that reads Multi-SWE-bench's logs with its harness, where grading looks for it", () => {
    assert.match(vsixIgnore, /^!sandbox\/harness\/\*\.py$/m);
    assert.ok(existsSync(join(root, 'sandbox', 'harness', 'read_mswebench_logs.py')));
  });

  test('every view has an icon the VSIX ships', () => {
    for (const view of manifest.contributes.views.rolloutStudio as { id: string; icon: string }[]) {
      assert.ok(view.icon && existsSync(join(root, view.icon)), `${view.id}: icon ${view.icon}`);
      assert.match(vsixIgnore, /^!media\/views\/\*\.svg$/m);
    }
  });

  test('every setting that names a path, host or URL the extension uses is restricted in untrusted folders', () => {
    const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    const keys = ['model.endpoint', 'model.recordedPath', 'model.replayPath', 'outputFolder'];
    for (const key of keys) assert.ok(restricted.includes(`rolloutStudio.${key}`), key);
  });

  test('the policy kinds of Select Policy… are the providers the setting takes', async () => {
    const provider = manifest.contributes.configuration.properties['rolloutStudio.model.provider'];
    assert.deepEqual(provider.enum, [
      'openai-compatible',
      'openai-responses',
      'anthropic',
      'ollama',
      'vscode-lm',
      'recorded',
    ]);
  });
});
