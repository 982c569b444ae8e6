/**
 * The e2e mocha suite, run inside a real VS Code extension host: by code-server + chromium on CI
 * (test/e2e/vscode-host.test.ts) and by @vscode/test-electron on a desktop (scripts/e2e/run-desktop.mjs).
 * ROLLOUT_E2E_MODE picks the suite: `trusted` (default), `protocols`, `untrusted`, `no-folder`, `walkthrough`, `reload`
 * (runs twice: before and after the harness reloads the page), or `harness-self-check` (must fail).
 */
import Mocha, { it } from 'mocha';
import { accessibilityTests } from './accessibility.e2e';
import { activationTests } from './activation.e2e';
import { hostilePlaybackTests } from './hostilePlayback.e2e';
import { imageTests } from './images.e2e';
import { languageModelTests } from './languageModel.e2e';
import { leaderboardTests } from './leaderboard.e2e';
import { noFolderTests } from './noFolder.e2e';
import { protocolTests } from './protocols.e2e';
import { queueTests } from './queue.e2e';
import { reloadTests } from './reload.e2e';
import { resultTests, resultUntrustedTests } from './results.e2e';
import { paletteTests, rolloutTests } from './rollout.e2e';
import { taskTests } from './tasks.e2e';
import { trajectoryTests } from './trajectories.e2e';
import { untrustedTests } from './untrusted.e2e';
import { walkthroughTests } from './walkthrough.e2e';

const SUITES: Record<string, () => void> = {
  trusted: () => {
    activationTests();
    taskTests();
    imageTests();
    trajectoryTests();
    rolloutTests();
    languageModelTests();
    queueTests();
    leaderboardTests();
    resultTests();
    // Driving the workbench page needs the code-server harness; test-electron runs the rest.
    if (process.env.ROLLOUT_E2E_SCREENSHOTS) {
      paletteTests();
      accessibilityTests();
      hostilePlaybackTests();
    }
  },
  /** The three rollout protocols from VS Code: apart, so the trusted suite keeps its time. */
  protocols: protocolTests,
  untrusted: () => {
    untrustedTests();
    resultUntrustedTests();
  },
  'no-folder': noFolderTests,
  /** Task sets and a playback tab across a real reload of the workbench page. */
  reload: reloadTests,
  /** The Get Started walkthrough (it drives the workbench page) and the CLI's capabilities in the palette. */
  walkthrough: walkthroughTests,
  // Proves the harness reports a failing suite as a failure.
  'harness-self-check': () => {
    it('fails on purpose', () => {
      throw new Error('deliberate failure from the harness self-check');
    });
  },
};

export function run(): Promise<void> {
  const mode = process.env.ROLLOUT_E2E_MODE ?? 'trusted';
  const define = SUITES[mode];
  if (!define)
    return Promise.reject(new Error(`ROLLOUT_E2E_MODE '${mode}' is not one of ${Object.keys(SUITES).join(', ')}`));
  // ROLLOUT_E2E_GREP (in the environment the host starts with), a regular expression, runs only the tests whose
  // full titles match it.
  const grep = process.env.ROLLOUT_E2E_GREP;
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: 120_000,
    reporter: 'spec',
    ...(grep ? { grep: new RegExp(grep) } : {}),
  });
  // The suite files are bundled into this one; defining their tests after pre-require gives them mocha's globals.
  mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, `${mode}.e2e`, mocha);
  define();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} e2e test(s) failed`)) : resolve()));
  });
}
