import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  isRecordedByLiveProcess,
  readRunIndex,
  RUN_INDEX_FILE,
  type RunIndexEntry,
} from '../../core/trajectory/runIndex';
import { runRow } from './runLabel';

/**
 * A run of the output folder's run index, as the Runs view shows it. A run the index calls running is stale when
 * the process the index names as recording it is gone (a crash or a kill on this machine; for an index without
 * owners, when no rollout of this window records it): it can be deleted, after a warning.
 */
export class RunItem extends vscode.TreeItem {
  constructor(
    readonly entry: RunIndexEntry,
    readonly logPath: string,
    readonly stale: boolean,
    now = new Date(),
  ) {
    const row = runRow(entry, now, stale);
    super(row.label, vscode.TreeItemCollapsibleState.None);
    this.id = entry.run_id;
    this.description = row.description;
    this.tooltip = row.tooltip;
    this.contextValue = runContext(entry, stale);
    this.iconPath = new vscode.ThemeIcon(stale ? 'question' : runIcon(entry));
    this.command = { command: 'rolloutStudio.openRun', title: 'Open in Playback', arguments: [this] };
  }
}

/** The row's menu context: a cancelled run and a stale one are the runs Resume Run takes. */
function runContext(entry: RunIndexEntry, stale: boolean): string {
  if (stale) return 'run.stale';
  if (entry.status === 'running') return 'run.running';
  return entry.status === 'cancelled' ? 'run.finished.cancelled' : 'run.finished';
}

function runIcon(entry: RunIndexEntry): string {
  if (entry.status === 'running') return 'sync~spin';
  if (entry.status === 'infra_error' || entry.status === 'error') return 'warning';
  if (entry.resolved || entry.reward === 1) return 'pass';
  return entry.status === 'submitted' ? 'circle-outline' : 'error';
}

/** The Runs view: every run in the output folder's run index, newest first, refreshed when the index changes. */
export class RunsTree implements vscode.TreeDataProvider<RunItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly read = new vscode.EventEmitter<readonly RunIndexEntry[]>();
  /** Fires after the view has read the run index. */
  readonly onDidReadRuns = this.read.event;
  private watcher: vscode.FileSystemWatcher | undefined;
  private entries: RunIndexEntry[] = [];

  /**
   * `outputFolder` is undefined while there is none to read (a relative setting and no folder open);
   * `isRecording` tells whether a rollout of this window is recording a run.
   */
  constructor(
    private readonly outputFolder: () => string | undefined,
    private readonly isRecording: (entry: RunIndexEntry) => boolean,
  ) {}

  /** Watches the index of the current output folder; call again when the setting changes. */
  watch(): void {
    this.watcher?.dispose();
    this.watcher = undefined;
    const folder = this.outputFolder();
    if (folder === undefined) return this.refresh();
    const pattern = new vscode.RelativePattern(vscode.Uri.file(folder), RUN_INDEX_FILE);
    this.watcher = vscode.workspace.createFileSystemWatcher(pattern);
    for (const event of [this.watcher.onDidChange, this.watcher.onDidCreate, this.watcher.onDidDelete])
      event(() => this.refresh());
    this.refresh();
  }

  refresh(): void {
    this.changed.fire();
  }

  /** The runs as last read, for the status bar and for tests. */
  get runs(): readonly RunIndexEntry[] {
    return this.entries;
  }

  getTreeItem(item: RunItem): vscode.TreeItem {
    return item;
  }

  async getChildren(item?: RunItem): Promise<RunItem[]> {
    if (item) return [];
    const folder = this.outputFolder();
    this.entries = folder === undefined ? [] : await readRunIndex(folder);
    this.read.fire(this.entries);
    if (folder === undefined) return [];
    const now = new Date();
    return [...this.entries]
      .reverse()
      .map(
        (entry) =>
          new RunItem(
            entry,
            path.join(folder, entry.path),
            entry.status === 'running' && !(isRecordedByLiveProcess(entry) ?? this.isRecording(entry)),
            now,
          ),
      );
  }

  dispose(): void {
    this.watcher?.dispose();
    this.changed.dispose();
    this.read.dispose();
  }
}
