import * as vscode from 'vscode';

export interface ProgressReporter {
  report(message: string, increment?: number): void;
  /** Aborted when the user presses Cancel on the notification (only offered where the action honours it). */
  signal: AbortSignal;
}

/**
 * Runs a long action under a progress notification. `cancellable` offers a Cancel button that aborts the
 * signal; only actions that stop when it aborts ask for it, so Cancel never pretends to stop what goes on.
 */
export function withProgress<T>(
  title: string,
  options: { cancellable: boolean },
  action: (progress: ProgressReporter) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Rollout Studio: ${title}`,
      cancellable: options.cancellable,
    },
    (progress, token) => {
      const controller = new AbortController();
      const subscription = token.onCancellationRequested(() => controller.abort(new Error(`${title} was cancelled`)));
      const reporter: ProgressReporter = {
        report: (message, increment) => progress.report({ message, increment }),
        signal: controller.signal,
      };
      return action(reporter).finally(() => subscription.dispose());
    },
  );
}
