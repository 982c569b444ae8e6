import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RolloutSummary } from '../../core/agent/rollout';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import {
  guessTestSetup,
  ownRepositoryTask,
  saveOwnRepositoryTask,
  type OwnRepositoryTask,
  type OwnRepositoryTaskInput,
} from '../../core/task/ownRepository';
import { withProgress } from '../progress';
import { applyDockerHost } from '../settings';
import { requireTrust } from '../trust';
import { runAgent } from './agentCommands';
import type { CommandContext } from './context';

/** What Run Agent on This Repository… is given by a caller instead of asking (the e2e suite, other extensions). */
export interface OwnRepositoryRequest extends Partial<Omit<OwnRepositoryTaskInput, 'folder'>> {
  issue: string;
  /** Save the task as a task folder there. */
  saveTo?: string;
  /** False stops after the task is made (and saved): no rollout. Default true. */
  run?: boolean;
}

export interface OwnRepositoryOutcome extends OwnRepositoryTask {
  summaries?: RolloutSummary[];
}

/**
 * Rollout Studio: Run Agent on This Repository… — the open folder at its HEAD commit as a task: the issue
 * text, the tests that must pass (optional), graded by the repository's own tests where PASS_TO_PASS is what
 * passes at HEAD (run once in a sandbox first); then Run Agent on it. The task can be saved as a task folder.
 */
export async function runOnThisRepository(
  context: CommandContext,
  argument?: unknown,
): Promise<OwnRepositoryOutcome | undefined> {
  requireTrust('Run Agent on This Repository');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) throw new Error('Run Agent on This Repository: open the repository folder first');
  const request = isRequest(argument) ? argument : await askRequest(folder);
  if (!request) return undefined;
  const input: OwnRepositoryTaskInput = {
    ...guessTestSetup(folder),
    id: `${path.basename(folder)}__own-1`,
    failToPass: [],
    ...request,
    folder,
  };
  const settings = context.settings();
  applyDockerHost(settings);
  const made = await withProgress(
    `running the tests of ${path.basename(folder)} at HEAD`,
    { cancellable: false },
    async (progress) => {
      const evaluator = await dockerEvaluatorOptions({ runId: 'vscode', onProgress: (line) => progress.report(line) });
      return ownRepositoryTask(input, evaluator);
    },
  );
  const passToPass = made.task.passToPass.length;
  context.log.info(
    `${made.task.id}: ${made.task.failToPass.length} test(s) must pass, ${passToPass} pass at HEAD and must keep passing`,
  );
  if (request.saveTo) {
    await saveOwnRepositoryTask(made, request.saveTo);
    context.log.info(`saved ${made.task.id} as a task folder in ${request.saveTo}`);
  } else if (request.run === undefined) {
    void vscode.window
      .showInformationMessage(
        `Rollout Studio: ${made.task.id}: ${passToPass} test(s) pass at HEAD and must keep passing.`,
        'Save as Task Folder…',
      )
      .then(async (choice) => {
        if (!choice) return;
        const target = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false });
        if (target?.[0]) await saveOwnRepositoryTask(made, target[0].fsPath);
      });
  }
  if (request.run === false) return made;
  const summaries = await runAgent(context, { tasks: [made.task] });
  return { ...made, ...(summaries ? { summaries } : {}) };
}

function isRequest(argument: unknown): argument is OwnRepositoryRequest {
  return (
    typeof argument === 'object' && argument !== null && typeof (argument as OwnRepositoryRequest).issue === 'string'
  );
}

/** The button of the notification that takes the issue editor's text. */
export const USE_ISSUE_TEXT = 'Use as Issue';

/**
 * The issue text, written or pasted (a GitHub issue, with its lines and code blocks) into an untitled Markdown
 * editor: a one-line input box would join its lines. The editor is closed unsaved once the text is taken.
 */
export async function askIssueText(folder: string): Promise<string | undefined> {
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: '' });
  await vscode.window.showTextDocument(document, { preview: false });
  const answer = await vscode.window.showInformationMessage(
    `Run Agent on ${path.basename(folder)} (HEAD): write or paste the issue the agent sees in the editor that opened (Markdown, any number of lines), then choose ${USE_ISSUE_TEXT}.`,
    USE_ISSUE_TEXT,
    'Cancel',
  );
  const issue = document.getText().trim();
  if (!document.isClosed) {
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  return answer === USE_ISSUE_TEXT && issue ? issue : undefined;
}

async function askRequest(folder: string): Promise<OwnRepositoryRequest | undefined> {
  const issue = await askIssueText(folder);
  if (!issue) return undefined;
  const tests = await vscode.window.showInputBox({
    title: 'Tests that must pass once it is fixed (optional)',
    prompt: 'Test ids as the test framework names them, separated by spaces; leave empty for none',
    ignoreFocusOut: true,
  });
  if (tests === undefined) return undefined;
  const guess = guessTestSetup(folder);
  const testCommand = await vscode.window.showInputBox({
    title: `The repository's test command (read by the ${guess.testFramework} parser)`,
    value: guess.testCommand,
    ignoreFocusOut: true,
  });
  if (!testCommand) return undefined;
  return { issue, failToPass: tests.split(/\s+/).filter(Boolean), testCommand };
}
