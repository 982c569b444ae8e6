import * as vscode from 'vscode';

export const UNTRUSTED_MESSAGE =
  'Rollout Studio: running agents or containers and deleting runs are disabled in an untrusted workspace (task files can name any image and command). Trust this workspace to enable them.';

/** Thrown when an action that starts containers or agents, or deletes, is asked for in an untrusted workspace. */
export class UntrustedWorkspaceError extends Error {
  constructor(readonly action: string) {
    super(`${action}: ${UNTRUSTED_MESSAGE}`);
    this.name = 'UntrustedWorkspaceError';
  }
}

export function requireTrust(action: string): void {
  if (!vscode.workspace.isTrusted) throw new UntrustedWorkspaceError(action);
}
