import * as vscode from 'vscode';
import { runDoctor as checkEverything, type DoctorCheck } from '../../core/sandbox/doctor';
import { applyDockerHost } from '../settings';
import type { CommandContext } from './context';

/** Rollout Studio: Run Doctor — checks the Docker engine, images and disk, and names the fix for each problem. */
export async function runDoctor(context: CommandContext): Promise<DoctorCheck[]> {
  applyDockerHost(context.settings());
  const checks = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Rollout Studio: checking Docker, images and disk…' },
    () => checkEverything(),
  );
  for (const check of checks) {
    const line = `${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}${check.fix ? ` — fix: ${check.fix}` : ''}`;
    if (check.ok) context.log.info(line);
    else context.log.error(line);
  }
  const failed = checks.filter((check) => !check.ok);
  if (failed.length === 0)
    void vscode.window.showInformationMessage(`Rollout Studio: all ${checks.length} checks passed.`);
  else {
    // Missing images have a fix the extension can apply itself.
    const missing = failed.flatMap((check) => check.buildProfiles ?? []);
    const actions = missing.length ? ['Build Images', 'Show Log'] : ['Show Log'];
    void vscode.window
      .showErrorMessage(
        `Rollout Studio: ${failed.length} of ${checks.length} checks failed: ${failed.map((check) => `${check.name} (fix: ${check.fix ?? 'see log'})`).join('; ')}`,
        ...actions,
      )
      .then((choice) => {
        if (choice === 'Build Images') void vscode.commands.executeCommand('rolloutStudio.buildImages', missing);
        else if (choice) context.log.show();
      });
  }
  return checks;
}
