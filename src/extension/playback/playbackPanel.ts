import { randomBytes } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LIVE_TURN_FILE, readLiveTurn } from '../../core/agent/liveTurn';
import { formatProblem, readTrajectoryLog } from '../../core/trajectory/reader';
import type { Trajectory } from '../../core/trajectory/types';
import { webviewPageHtml } from '../views/webviewPage';
import type { DiffDocuments } from './diffDocuments';
import {
  PLAYBACK_LOG_LIMITS,
  toPlaybackEvent,
  toPlaybackLiveTurn,
  toPlaybackLoad,
  toPlaybackResult,
  toPlaybackTurns,
  turnChange,
  turnPatches,
} from './playbackModel';
import type { ExtensionToWebview, WebviewToExtension } from './protocol';

export type RenderedState = Extract<WebviewToExtension, { type: 'rendered' }>;

/** The playback panels' view type: VS Code restores panels of this type after a reload through a serializer. */
export const PLAYBACK_VIEW_TYPE = 'rolloutStudio.playback';

/** What the playback webview keeps in its state (`setState`), and what a restored panel is given back. */
export interface PlaybackWebviewState {
  logPath: string;
  selected: number;
}

/** How often a live (unfinished) log is re-read for new turns. */
const LIVE_POLL_MS = 400;

/** One playback webview showing one trajectory log; follows the log live while the run is unfinished. */
export class PlaybackPanel implements vscode.Disposable {
  private trajectory: Trajectory;
  private sentTurns = 0;
  private sentEvents = 0;
  private following = false;
  private stopWatching: () => void = () => undefined;
  private catchingUp: Promise<void> = Promise.resolve();
  private disposed = false;
  /** The turn the first load selects (a restored panel's); later loads keep the page's own selection. */
  private selectOnLoad: number | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedState>();
  /** Fires each time the webview reports what it rendered. */
  readonly onDidRender = this.renderedEmitter.event;
  lastRendered: RenderedState | undefined;
  readonly key = randomBytes(6).toString('hex');

  private constructor(
    readonly logPath: string,
    trajectory: Trajectory,
    readonly panel: vscode.WebviewPanel,
    private readonly diffs: DiffDocuments,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.trajectory = trajectory;
    const media = mediaRoot(panel);
    panel.webview.html = webviewPageHtml(panel.webview, {
      title: 'Trajectory playback',
      script: vscode.Uri.joinPath(media, 'playback.js'),
      stylesheet: vscode.Uri.joinPath(media, 'playback.css'),
      body: '<div id="app" class="app" aria-busy="true"></div>',
    });
    panel.title = `Playback: ${trajectory.run.task_id}`;
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: WebviewToExtension) => this.receive(message)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  static async open(
    logPath: string,
    extensionUri: vscode.Uri,
    diffs: DiffDocuments,
    log: vscode.LogOutputChannel,
  ): Promise<PlaybackPanel> {
    const trajectory = await readOrThrow(logPath);
    // No retainContextWhenHidden: a hidden panel's page is dropped and rebuilt from the log when shown again
    // (the webview keeps its selection in its state), and the serializer does the same after a reload.
    const panel = vscode.window.createWebviewPanel(
      PLAYBACK_VIEW_TYPE,
      `Playback: ${trajectory.run.task_id}`,
      vscode.ViewColumn.Active,
      playbackWebviewOptions(extensionUri),
    );
    return new PlaybackPanel(logPath, trajectory, panel, diffs, log);
  }

  /** Shows the run again, at the turn it showed, in a panel VS Code restored after a window reload. */
  static async restore(
    panel: vscode.WebviewPanel,
    state: PlaybackWebviewState,
    extensionUri: vscode.Uri,
    diffs: DiffDocuments,
    log: vscode.LogOutputChannel,
  ): Promise<PlaybackPanel> {
    panel.webview.options = playbackWebviewOptions(extensionUri);
    const restored = new PlaybackPanel(state.logPath, await readOrThrow(state.logPath), panel, diffs, log);
    restored.selectOnLoad = state.selected;
    return restored;
  }

  get turnCount(): number {
    return this.trajectory.turns.length;
  }

  private receive(message: WebviewToExtension): void {
    switch (message.type) {
      case 'ready':
        this.sendAll();
        return;
      case 'showTurnChange': {
        const { turnIndex } = message;
        if (!this.trajectory.turns[turnIndex]) return;
        const { before, after } = turnPatches(this.trajectory.turns, turnIndex);
        const { patch, undone } = turnChange(before, after);
        this.post({ type: 'turnChange', turnIndex, patch, undone });
        return;
      }
      case 'openDiff':
        void this.openDiff(message.turnIndex).catch((error: Error) => {
          this.log.error(`open diff of turn ${message.turnIndex}: ${error.message}`);
          void vscode.window.showErrorMessage(`Rollout Studio: ${error.message}`);
        });
        return;
      case 'rendered':
        this.lastRendered = message;
        this.renderedEmitter.fire(message);
        return;
    }
  }

  private post(message: ExtensionToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private sendAll(): void {
    const { trajectory } = this;
    this.sentTurns = trajectory.turns.length;
    this.sentEvents = trajectory.events.length;
    const load = toPlaybackLoad(trajectory, this.logPath);
    this.post(this.selectOnLoad === undefined ? load : { ...load, selectTurn: this.selectOnLoad });
    this.selectOnLoad = undefined;
    if (load.live) this.follow();
  }

  /** Re-reads the log as it grows and streams new turns, until the run finishes or the panel closes. */
  private follow(): void {
    if (this.following) return;
    this.following = true;
    // One catch-up at a time, so that two polls never send the same new turns twice.
    const onChange = () => {
      this.catchingUp = this.catchingUp
        .then(() => this.catchUp())
        .catch((error: Error) => this.log.warn(`live playback of ${this.logPath}: ${error.message}`));
    };
    // The turn being written lives in a sidecar beside the log until it is recorded.
    const livePath = path.join(path.dirname(this.logPath), LIVE_TURN_FILE);
    const onLive = () => void this.showLiveTurn();
    watchFile(this.logPath, { interval: LIVE_POLL_MS }, onChange);
    watchFile(livePath, { interval: LIVE_POLL_MS }, onLive);
    this.stopWatching = () => {
      unwatchFile(this.logPath, onChange);
      unwatchFile(livePath, onLive);
    };
    this.disposables.push({ dispose: () => this.stopWatching() });
    // watchFile reports changes after its first look only: what was written between the first read and now
    // (the last turns and the end of a fast run) would otherwise never show.
    onChange();
  }

  private async catchUp(): Promise<void> {
    const { trajectory } = await readTrajectoryLog(this.logPath, PLAYBACK_LOG_LIMITS);
    if (!trajectory) return;
    this.trajectory = trajectory;
    const fresh = trajectory.turns.slice(this.sentTurns);
    const freshEvents = trajectory.events.slice(this.sentEvents);
    if (fresh.length || freshEvents.length) {
      const lastShownWithDiff = trajectory.turns
        .slice(0, this.sentTurns)
        .reverse()
        .find((turn) => turn.diff !== undefined);
      this.post({
        type: 'appendTurns',
        turns: toPlaybackTurns(fresh, lastShownWithDiff),
        events: freshEvents.map(toPlaybackEvent),
      });
      this.sentTurns = trajectory.turns.length;
      this.sentEvents = trajectory.events.length;
      await this.showLiveTurn();
    }
    if (trajectory.result && this.following) {
      this.following = false;
      this.post({ type: 'finished', result: toPlaybackResult(trajectory.result) });
      this.post({ type: 'liveTurn', turn: null });
      this.stopWatching();
    }
  }

  /** Sends the turn in progress, if the sidecar holds the turn after the last one shown. */
  private async showLiveTurn(): Promise<void> {
    const live = await readLiveTurn(path.dirname(this.logPath), this.sentTurns);
    if (this.following) this.post({ type: 'liveTurn', turn: live ? toPlaybackLiveTurn(live) : null });
  }

  async openDiff(turnIndex: number): Promise<void> {
    const { before, after } = turnPatches(this.trajectory.turns, turnIndex);
    const left = this.diffs.put(this.key, `turn-${turnIndex}-before.diff`, before);
    const right = this.diffs.put(this.key, `turn-${turnIndex}-after.diff`, after);
    const title = `${this.trajectory.run.task_id}: turn ${turnIndex} (work-tree patch before ↔ after)`;
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.diffs.forget(this.key);
    this.renderedEmitter.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.panel.dispose();
  }
}

async function readOrThrow(logPath: string): Promise<Trajectory> {
  const { trajectory, problems } = await readTrajectoryLog(logPath, PLAYBACK_LOG_LIMITS);
  if (!trajectory) {
    const why = problems.length
      ? problems.map(formatProblem).join('\n')
      : `${logPath}: the log has no run_started line`;
    throw new Error(`cannot open ${path.basename(logPath)} in playback:\n${why}`);
  }
  return trajectory;
}

function playbackWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
}

function mediaRoot(panel: vscode.WebviewPanel): vscode.Uri {
  return panel.webview.options.localResourceRoots![0];
}
