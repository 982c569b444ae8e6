import * as vscode from 'vscode';

export interface ProgressReporter {
  report(message: string, increment?: number): void;
  /** Aborted when the user presses Cancel on the notification. */
  signal: AbortSignal;
}

/** Runs a long action under a cancellable progress notification; cancelling aborts the signal it is given. */
export function withCancellableProgress<T>(title: string, action: (progress: ProgressReporter) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Rollout Studio: ${title}`, cancellable: true },
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
