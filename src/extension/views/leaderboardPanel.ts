import { randomBytes } from 'node:crypto';
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
  ) {
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: LeaderboardToExtension) => this.receive(message)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  static open(extensionUri: vscode.Uri, sources: LeaderboardSources): LeaderboardPanel {
    const roots = [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media', 'report')];
    const panel = vscode.window.createWebviewPanel(
      'rolloutStudio.leaderboard',
      'Leaderboard',
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: roots,
      },
    );
    panel.webview.html = leaderboardHtml(panel.webview, extensionUri);
    return new LeaderboardPanel(panel, sources);
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

/** The report page (dist/report-page.js, with Chart.js bundled in) under a CSP that allows nothing else. */
function leaderboardHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(18).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'report-page.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'report', 'report.css'));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Leaderboard</title>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
