import * as vscode from 'vscode';
import { UNTRUSTED_MESSAGE, UntrustedWorkspaceError } from '../trust';
import { reexecuteTrajectory, runAgent, stopRun } from './agentCommands';
import type { CommandContext, CommandHandler } from './context';
import { evaluatePredictions, exportDataset } from './datasetCommands';
import { runDoctor } from './doctorCommand';
import { gradeTestLog } from './gradeCommands';
import { runOnThisRepository } from './ownRepositoryCommand';
import { applyPatch, compareWith, resumeRun, runAgain, showChanges, showTestResults } from './resultCommands';
import { buildImages } from './imageCommands';
import { deleteRun, importTrajectory, openRun, openTrajectory, showLeaderboard } from './runCommands';
import { selectCabPolicies, selectModelEndpoint, selectPolicy, setApiKey } from './settingsCommands';
import { openExampleTasks, openTaskSet, removeTaskSet, showTask, validateTaskSet } from './taskCommands';
import { fineTune, selectBestAttempts, serveFineTune, stopServing, trainVerifierOnRuns } from './trainCommands';

/** Every command the extension registers; package.json `contributes.commands` declares the same ids. */
export const COMMAND_HANDLERS: Record<string, CommandHandler> = {
  'rolloutStudio.openTaskSet': openTaskSet,
  'rolloutStudio.openExampleTasks': openExampleTasks,
  'rolloutStudio.validateTasks': validateTaskSet,
  'rolloutStudio.removeTaskSet': removeTaskSet,
  'rolloutStudio.showTask': showTask,
  'rolloutStudio.runAgent': runAgent,
  'rolloutStudio.runOnThisRepository': runOnThisRepository,
  'rolloutStudio.stopRun': stopRun,
  'rolloutStudio.reexecuteTrajectory': reexecuteTrajectory,
  'rolloutStudio.openTrajectory': openTrajectory,
  'rolloutStudio.importTrajectory': importTrajectory,
  'rolloutStudio.exportDataset': exportDataset,
  'rolloutStudio.evaluatePredictions': evaluatePredictions,
  'rolloutStudio.gradeTestLog': gradeTestLog,
  'rolloutStudio.fineTune': fineTune,
  'rolloutStudio.trainVerifier': trainVerifierOnRuns,
  'rolloutStudio.selectBestAttempts': selectBestAttempts,
  'rolloutStudio.serveFineTune': serveFineTune,
  'rolloutStudio.stopServing': stopServing,
  'rolloutStudio.selectPolicy': selectPolicy,
  'rolloutStudio.selectCabPolicies': selectCabPolicies,
  'rolloutStudio.selectModelEndpoint': selectModelEndpoint,
  'rolloutStudio.setApiKey': setApiKey,
  'rolloutStudio.runDoctor': runDoctor,
  'rolloutStudio.buildImages': buildImages,
  'rolloutStudio.openRun': openRun,
  'rolloutStudio.deleteRun': deleteRun,
  'rolloutStudio.showTestResults': showTestResults,
  'rolloutStudio.showChanges': showChanges,
  'rolloutStudio.applyPatch': applyPatch,
  'rolloutStudio.runAgain': runAgain,
  'rolloutStudio.resumeRun': resumeRun,
  'rolloutStudio.compareWith': compareWith,
  'rolloutStudio.refreshRuns': async (context) => context.runs.refresh(),
  'rolloutStudio.showLeaderboard': showLeaderboard,
};

export interface CommandFailure {
  command: string;
  message: string;
  untrusted: boolean;
}

/**
 * Registers every handler. A failure is logged and shown to the user, recorded for tests, and the command
 * resolves to undefined (a thrown error would add VS Code's own generic notification on top of ours).
 */
export function registerCommands(context: CommandContext, failures: CommandFailure[]): vscode.Disposable[] {
  return Object.entries(COMMAND_HANDLERS).map(([command, handler]) =>
    vscode.commands.registerCommand(command, async (...args: unknown[]) => {
      try {
        return await handler(context, ...args);
      } catch (error) {
        const untrusted = error instanceof UntrustedWorkspaceError;
        const message = (error as Error).message;
        failures.push({ command, message, untrusted });
        context.log.error(`${command}: ${message}`);
        if (untrusted) {
          void vscode.window
            .showWarningMessage(UNTRUSTED_MESSAGE, 'Manage Workspace Trust')
            .then((choice) => choice && vscode.commands.executeCommand('workbench.trust.manage'));
        } else {
          void vscode.window
            .showErrorMessage(`Rollout Studio: ${message.split('\n')[0]}`, 'Show Log')
            .then((choice) => choice && context.log.show());
        }
        return undefined;
      }
    }),
  );
}
