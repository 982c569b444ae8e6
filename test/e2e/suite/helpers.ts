import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RolloutStudioApi } from '../../../src/extension/extension';

export const EXTENSION_ID = 'rollout-studio.rollout-studio';
/** out/e2e/suite/index.js → the project root. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures');

export function extension(): vscode.Extension<RolloutStudioApi> {
  const found = vscode.extensions.getExtension<RolloutStudioApi>(EXTENSION_ID);
  if (!found) throw new Error(`extension ${EXTENSION_ID} is not loaded in this VS Code`);
  return found;
}

export async function api(): Promise<RolloutStudioApi> {
  return extension().activate();
}

export function workspaceFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) throw new Error('the e2e workbench opened no workspace folder');
  return folder;
}

/**
 * Polls until `check` returns a value other than undefined/false, or fails naming what it waited for. The
 * limit is generous because a 2-core machine running containers beside the workbench can be slow; a check
 * that holds returns as soon as it does.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let uiRequests = 0;
/**
 * How long the suite waits for the harness to acknowledge a UI step: longer than the harness's own limit on a
 * step (QUICK_INPUT_STEP_MS in test/e2e/host/codeServerHost.ts), so its error, naming what it waited for, is
 * the one reported.
 */
const QUICK_INPUT_ACK_MS = 120_000;

/**
 * Asks the code-server harness to act on the workbench page (see test/e2e/host/codeServerHost.ts) and waits
 * for its acknowledgement. Only the UI suite calls it; that suite runs only under the harness.
 */
export async function ui(
  action:
    | 'screenshot'
    | 'palette'
    | 'pick'
    | 'choose'
    | 'enter'
    | 'clickWebview'
    | 'waitWebview'
    | 'axe'
    | 'click'
    | 'waitFor'
    | 'type'
    | 'press',
  argument: string,
): Promise<void> {
  const dir = process.env.ROLLOUT_E2E_SCREENSHOTS;
  if (!dir) throw new Error('driving the UI needs the code-server harness (ROLLOUT_E2E_SCREENSHOTS is not set)');
  // Unique across extension hosts: after a window reload the suite runs again in a new one, beside the old acks.
  const id = `${process.pid}-${++uiRequests}`;
  console.log(`[[ui:${id}:${action}:${argument}]]`);
  const ack = path.join(dir, '.acks', id);
  await waitFor(`the harness to ${action} '${argument}'`, () => existsSync(ack), QUICK_INPUT_ACK_MS);
  const outcome = readFileSync(ack, 'utf8');
  if (outcome !== 'ok') throw new Error(`UI action ${action} '${argument}' ${outcome}`);
}

/** A picture of the workbench for the README, after the UI has settled; a no-op outside the harness (test-electron). */
export async function screenshot(name: string): Promise<void> {
  if (!process.env.ROLLOUT_E2E_SCREENSHOTS) return;
  await vscode.commands.executeCommand('notifications.clearAll');
  // Let the workbench finish painting what the test just did: the picture is for people, not an assertion.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await ui('screenshot', name);
}

/** VS Code's own light, dark and high-contrast themes, by the ids `workbench.colorTheme` takes. */
export const THEMES = [
  { id: 'Default Light Modern', name: 'light', bodyClass: 'vscode-light' },
  { id: 'Default Dark Modern', name: 'dark', bodyClass: 'vscode-dark' },
  { id: 'Default High Contrast', name: 'high-contrast', bodyClass: 'vscode-high-contrast' },
];

/**
 * Pictures of the workbench as it is now in each of `THEMES` (`<name>-light` …), for the README; with `webview`,
 * each once the visible webview has taken the theme's colours. The theme setting is put back after.
 */
export async function screenshotInThemes(name: string, { webview = false } = {}): Promise<void> {
  if (!process.env.ROLLOUT_E2E_SCREENSHOTS) return;
  const workbench = () => vscode.workspace.getConfiguration('workbench');
  try {
    for (const theme of THEMES) {
      await workbench().update('colorTheme', theme.id, vscode.ConfigurationTarget.Global);
      if (webview) await ui('waitWebview', `body.${theme.bodyClass}`);
      await screenshot(`${name}-${theme.name}`);
    }
  } finally {
    await workbench().update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
  }
}
