import * as vscode from 'vscode';

/** The file argument a command was given (a Uri or a path), or the one the user picks; undefined when they cancel. */
export async function fileArgumentOrPick(
  argument: unknown,
  options: vscode.OpenDialogOptions,
): Promise<string | undefined> {
  if (argument instanceof vscode.Uri) return argument.fsPath;
  if (typeof argument === 'string') return argument;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, ...options });
  return picked?.[0]?.fsPath;
}

export async function folderArgumentOrPick(argument: unknown, title: string): Promise<string | undefined> {
  return fileArgumentOrPick(argument, { canSelectFiles: false, canSelectFolders: true, title });
}
