import * as vscode from 'vscode';
import { runDoctor as checkEverything, type DoctorCheck } from '../../core/sandbox/doctor';
import { applyDockerHost } from '../settings';
import { asksOpenAIItself } from './agentCommands';
import type { CommandContext } from './context';
import { doctorContextKeys, doctorFixes, MODEL_CHECK } from './doctorFixes';

/**
 * Rollout Studio: Run Doctor — checks the Docker engine, images, disk and the agent's model; each problem is a
 * notification with the buttons that fix it (Build Images, Set API Key, Select Policy…) where VS Code can.
 */
export async function runDoctor(context: CommandContext): Promise<DoctorCheck[]> {
  applyDockerHost(context.settings());
  const checks = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Rollout Studio: checking Docker, images and disk…' },
    () => checkEverything(),
  );
  checks.push(await checkModel(context));
  for (const check of checks) {
    const line = `${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}${check.fix ? ` — fix: ${check.fix}` : ''}`;
    if (check.ok) context.log.info(line);
    else context.log.error(line);
  }
  const keys = doctorContextKeys(checks);
  await vscode.commands.executeCommand('setContext', 'rolloutStudio.dockerReady', keys.dockerReady);
  await vscode.commands.executeCommand('setContext', 'rolloutStudio.imagesReady', keys.imagesReady);
  const failed = checks.filter((check) => !check.ok);
  if (failed.length === 0) {
    void vscode.window.showInformationMessage(`Rollout Studio: all ${checks.length} checks passed.`);
    return checks;
  }
  for (const check of failed) {
    const fixes = doctorFixes(check);
    void vscode.window
      .showErrorMessage(
        `Rollout Studio: ${check.name}: ${check.detail}${check.fix ? ` (fix: ${check.fix})` : ''}`,
        ...fixes.map((fix) => fix.label),
        'Show Log',
      )
      .then((choice) => {
        const fix = fixes.find((candidate) => candidate.label === choice);
        if (fix) void vscode.commands.executeCommand(fix.command, ...fix.args);
        else if (choice) context.log.show();
      });
  }
  return checks;
}

/** Whether the agent's model can be asked: OpenAI's own API needs a key; other providers bring their own. */
async function checkModel(context: CommandContext): Promise<DoctorCheck> {
  const settings = context.settings();
  const detail = `${settings.modelProvider}${settings.modelProvider === 'recorded' ? '' : ` ${settings.model}`}`;
  let needsKey: boolean;
  try {
    needsKey = asksOpenAIItself(settings);
  } catch (error) {
    return { name: MODEL_CHECK, ok: false, detail: (error as Error).message, fix: 'Rollout Studio: Select Policy…' };
  }
  if (!needsKey || process.env.OPENAI_API_KEY || (await context.apiKeys.get(settings.modelEndpoint)))
    return { name: MODEL_CHECK, ok: true, detail };
  return {
    name: MODEL_CHECK,
    ok: false,
    detail: `${detail} at ${settings.modelEndpoint}: no API key`,
    fix: 'Rollout Studio: Set API Key, or Select Policy… for another model',
  };
}
