import * as vscode from 'vscode';

/** The status-bar item: the active run (task and turn) while one runs, otherwise the run count, opening the Runs view. */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'rolloutStudio.activeRun',
    vscode.StatusBarAlignment.Left,
    10,
  );

  constructor() {
    this.item.name = 'Rollout Studio: Active Run';
    this.showIdle(0);
    this.item.show();
  }

  showIdle(finishedRuns: number): void {
    this.item.command = 'workbench.view.extension.rolloutStudio';
    this.item.text = `$(beaker) Rollout: ${finishedRuns} run${finishedRuns === 1 ? '' : 's'}`;
    this.item.tooltip = 'Rollout Studio: no run active. Click to show the Runs view.';
  }

  /** `label` names what runs, e.g. `pagekit__pagekit-14 · 1/3 done`. */
  showRunning(label: string): void {
    this.item.text = `$(sync~spin) Rollout: ${label}`;
    this.item.tooltip = `Rollout Studio: running the agent (${label}). Use "Rollout Studio: Stop Run" to stop it.`;
    this.item.command = 'rolloutStudio.stopRun';
  }

  /** What the item says now, for tests. */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
  }
}
