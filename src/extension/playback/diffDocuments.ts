import * as vscode from 'vscode';

export const DIFF_SCHEME = 'rollout-studio-diff';

/**
 * Serves read-only virtual documents: patches for VS Code's diff editor, so "Open diff" leaves no temporary
 * files behind, and task details. A playback panel forgets its documents when it closes.
 */
export class DiffDocuments implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** An open document shows new content put under its URI. */
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    const content = this.contents.get(uri.toString());
    if (content === undefined)
      throw new Error(`${uri.toString()}: this playback was closed; open the trajectory again`);
    return content;
  }

  /** A URI whose document holds `content`; `owner` groups the documents of one panel. */
  put(owner: string, name: string, content: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: DIFF_SCHEME, path: `/${owner}/${name}` });
    const before = this.contents.get(uri.toString());
    this.contents.set(uri.toString(), content);
    if (before !== undefined && before !== content) this.changed.fire(uri);
    return uri;
  }

  forget(owner: string): void {
    for (const key of [...this.contents.keys()]) {
      if (vscode.Uri.parse(key).path.startsWith(`/${owner}/`)) this.contents.delete(key);
    }
  }

  get size(): number {
    return this.contents.size;
  }
}
