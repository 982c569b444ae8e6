import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bootstrapSettings } from '../../core/report/bootstrap';
import { buildReport } from '../../core/report/buildReport';
import { TaskCatalog } from '../../core/report/catalog';
import { collectRunFacts } from '../../core/report/collect';
import type { Report, ReportProblem, RunFacts } from '../../core/report/model';
import { RUN_INDEX_FILE } from '../../core/trajectory/runIndex';
import type { ExtensionToLeaderboard, LeaderboardFilters, LeaderboardToExtension } from './leaderboardProtocol';
import type { TaskSet } from './tasksTree';
import { webviewPageHtml } from './webviewPage';

/** The Leaderboard's view type: VS Code restores a panel of this type after a reload through a serializer. */
export const LEADERBOARD_VIEW_TYPE = 'rolloutStudio.leaderboard';

export type LeaderboardRendered = Extract<LeaderboardToExtension, { type: 'rendered' }>;

/** What the panel needs of the rest of the extension. */
export interface LeaderboardSources {
  outputFolder(): string;
  /** The task sets open in the Tasks view: their names are the datasets, their tasks the categories. */
  taskSets(): readonly TaskSet[];
  /** Opens a run's log in playback. */
  openRun(logPath: string): Promise<unknown>;
  log: vscode.LogOutputChannel;
}

/** Runs are read again this long after the last change, so a batch of finishing runs costs one read. */
const RELOAD_DELAY_MS = 500;

/**
 * The Leaderboard: the report of every run in the output folder (the figures of `rollout report`), with
 * filters by dataset and group, and a click on any attempt in the per-task matrix to open its playback.
 */
export class LeaderboardPanel implements vscode.Disposable {
  private facts: RunFacts[] = [];
  private problems: ReportProblem[] = [];
  private catalog = new TaskCatalog();
  private filters: LeaderboardFilters = { by: 'policy', datasets: [], groups: [] };
  private reloadTimer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private watcher: { folder: string; watcher: vscode.FileSystemWatcher } | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly renderedEmitter = new vscode.EventEmitter<LeaderboardRendered>();
  /** Fires each time the page reports what it drew. */
  readonly onDidRender = this.renderedEmitter.event;
  lastRendered: LeaderboardRendered | undefined;
  /** The report the page shows now. */
  lastReport: Report | undefined;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly sources: LeaderboardSources,
    extensionUri: vscode.Uri,
  ) {
    panel.webview.html = webviewPageHtml(panel.webview, {
      title: 'Leaderboard',
      script: vscode.Uri.joinPath(extensionUri, 'dist', 'report-page.js'),
      stylesheet: vscode.Uri.joinPath(extensionUri, 'media', 'report', 'report.css'),
      body: '<main id="app" aria-busy="true"></main>',
      dataImages: true,
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: LeaderboardToExtension) => this.receive(message)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /**
   * No retainContextWhenHidden: a hidden panel's page is dropped, and when shown again it asks for the report
   * anew (its filters are the panel's); after a window reload the serializer gives the page its filters back.
   */
  static open(extensionUri: vscode.Uri, sources: LeaderboardSources): LeaderboardPanel {
    const panel = vscode.window.createWebviewPanel(
      LEADERBOARD_VIEW_TYPE,
      'Leaderboard',
      vscode.ViewColumn.Active,
      leaderboardWebviewOptions(extensionUri),
    );
    return new LeaderboardPanel(panel, sources, extensionUri);
  }

  /** The Leaderboard again, with the filters it showed, in a panel VS Code restored after a window reload. */
  static restore(
    panel: vscode.WebviewPanel,
    filters: LeaderboardFilters | undefined,
    extensionUri: vscode.Uri,
    sources: LeaderboardSources,
  ): LeaderboardPanel {
    panel.webview.options = leaderboardWebviewOptions(extensionUri);
    const restored = new LeaderboardPanel(panel, sources, extensionUri);
    if (filters) restored.filters = filters;
    return restored;
  }

  /** Shows another grouping or subset of the runs already read. */
  applyFilters(filters: LeaderboardFilters): void {
    this.filters = filters;
    this.post();
  }

  /** Reads the output folder's runs again and redraws. */
  reload(): Promise<void> {
    this.reading = this.reading
      .then(async () => {
        const folder = this.sources.outputFolder();
        this.watch(folder);
        this.catalog = new TaskCatalog();
        for (const set of this.sources.taskSets()) this.catalog.add(set.tasks, path.basename(set.path));
        ({ facts: this.facts, problems: this.problems } = existsSync(folder)
          ? await collectRunFacts([folder], this.catalog)
          : { facts: [], problems: [] });
        this.post();
      })
      .catch((error: Error) => {
        this.sources.log.error(`Leaderboard: ${error.message}`);
        this.send({ type: 'empty', message: `The runs could not be read: ${error.message}` });
      });
    return this.reading;
  }

  /** Follows the run index of the output folder: every run that starts or finishes appends to it. */
  private watch(folder: string): void {
    if (this.watcher?.folder === folder) return;
    this.watcher?.watcher.dispose();
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(folder), RUN_INDEX_FILE),
    );
    for (const event of [watcher.onDidChange, watcher.onDidCreate, watcher.onDidDelete])
      event(() => this.scheduleReload());
    this.watcher = { folder, watcher };
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.reload(), RELOAD_DELAY_MS);
  }

  private post(): void {
    const folder = this.sources.outputFolder();
    if (this.facts.length === 0) {
      this.lastReport = undefined;
      this.send({ type: 'empty', message: `No runs in ${folder} yet. Run an agent, or import trajectories.` });
      return;
    }
    this.lastReport = buildReport(this.facts, this.catalog, {
      by: this.filters.by,
      bootstrap: bootstrapSettings(),
      datasets: this.filters.datasets,
      groups: this.filters.groups,
      sources: [folder],
      problems: this.problems,
      generatedAt: new Date().toISOString(),
    });
    this.send({ type: 'load', report: this.lastReport, filters: this.filters });
  }

  private send(message: ExtensionToLeaderboard): void {
    void this.panel.webview.postMessage(message);
  }

  private receive(message: LeaderboardToExtension): void {
    switch (message.type) {
      case 'ready':
        void this.reload();
        return;
      case 'filter':
        this.applyFilters(message.filters);
        return;
      case 'openRun':
        // Only runs this panel listed: the page cannot make the extension open any other file.
        if (!this.facts.some((run) => run.path === message.path)) return;
        void this.sources.openRun(message.path).catch((error: Error) => {
          this.sources.log.error(`Leaderboard: open ${message.path}: ${error.message}`);
          void vscode.window.showErrorMessage(`Rollout Studio: ${error.message}`);
        });
        return;
      case 'rendered':
        this.lastRendered = message;
        this.renderedEmitter.fire(message);
        return;
    }
  }

  reveal(): void {
    this.panel.reveal();
  }

  dispose(): void {
    clearTimeout(this.reloadTimer);
    this.watcher?.watcher.dispose();
    this.renderedEmitter.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.panel.dispose();
  }
}

function leaderboardWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [
      vscode.Uri.joinPath(extensionUri, 'dist'),
      vscode.Uri.joinPath(extensionUri, 'media', 'report'),
    ],
  };
}
