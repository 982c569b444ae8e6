import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { doctorContextKeys, doctorFixes, MODEL_CHECK } from '../../../src/extension/commands/doctorFixes';

describe("the doctor's fix buttons", () => {
  test('a missing image is fixed by building that image', () => {
    const check = { name: 'image node', ok: false, detail: 'missing', buildProfiles: ['node'] };
    assert.deepEqual(doctorFixes(check), [
      { label: 'Build Images', command: 'rolloutStudio.buildImages', args: [['node']] },
    ]);
  });

  test('a model without a key offers Set API Key and Select Policy…', () => {
    const fixes = doctorFixes({ name: MODEL_CHECK, ok: false, detail: 'no API key' });
    assert.deepEqual(
      fixes.map((fix) => fix.command),
      ['rolloutStudio.setApiKey', 'rolloutStudio.selectPolicy'],
    );
  });

  test('an unreachable engine opens the Docker host setting; a passed check or a fix outside VS Code has none', () => {
    assert.deepEqual(doctorFixes({ name: 'docker engine', ok: false, detail: 'ENOENT' }), [
      { label: 'Set Docker Host', command: 'workbench.action.openSettings', args: ['rolloutStudio.docker.host'] },
    ]);
    assert.deepEqual(doctorFixes({ name: 'image node', ok: true, detail: 'rollout-studio/node:abc' }), []);
    assert.deepEqual(doctorFixes({ name: 'disk space', ok: false, detail: '1 GB free' }), []);
  });

  test("the walkthrough's context keys: the engine answered, and every image is there", () => {
    const engine = { name: 'docker engine', ok: true, detail: 'Docker 20.10' };
    const python = { name: 'image python', ok: true, detail: '' };
    const node = { name: 'image node', ok: false, detail: '' };
    assert.deepEqual(doctorContextKeys([engine, python, node]), { dockerReady: true, imagesReady: false });
    assert.deepEqual(doctorContextKeys([engine, python]), { dockerReady: true, imagesReady: true });
    assert.deepEqual(doctorContextKeys([{ ...engine, ok: false }]), { dockerReady: false, imagesReady: false });
  });
});
