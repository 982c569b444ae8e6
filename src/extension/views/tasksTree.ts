import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Task } from '../../core/task/task';
import type { RunIndexEntry } from '../../core/trajectory/runIndex';
import { describeRun } from './runLabel';

/** Tasks loaded from one file or folder. */
export interface TaskSet {
  path: string;
  tasks: Task[];
}

export type TasksTreeNode = TaskSetItem | TaskItem;

export class TaskSetItem extends vscode.TreeItem {
  constructor(readonly set: TaskSet) {
    super(path.basename(set.path), vscode.TreeItemCollapsibleState.Expanded);
    this.id = `set:${set.path}`;
    this.description = `${set.tasks.length} tasks · ${set.tasks[0]?.kind ?? 'empty'}`;
    this.tooltip = set.path;
    this.contextValue = 'taskSet';
    this.iconPath = new vscode.ThemeIcon('folder-library');
  }
}

export class TaskItem extends vscode.TreeItem {
  constructor(
    readonly task: Task,
    latestRun: RunIndexEntry | undefined,
    readonly setPath: string,
  ) {
    super(task.id, vscode.TreeItemCollapsibleState.None);
    this.id = `task:${setPath}:${task.id}`;
    this.command = { command: 'rolloutStudio.showTask', title: 'Show Task Details', arguments: [this] };
    this.description = latestRun ? describeRun(latestRun) : 'not run';
    this.tooltip = new vscode.MarkdownString().appendText(
      `${task.repo.name ?? task.repo.location}\n\n${task.problemStatement.slice(0, 600)}`,
    );
    this.contextValue = 'task';
    this.iconPath = new vscode.ThemeIcon(task.kind === 'cab' ? 'comment-discussion' : 'beaker');
  }
}

/** Where the paths of the open task sets are kept (workspace state), so that they are open again after a reload. */
const SAVED_TASK_SETS = 'rolloutStudio.taskSets';

/** The Tasks view: the task sets the user opened, grouped by source file, with each task's latest run. */
export class TasksTree implements vscode.TreeDataProvider<TasksTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sets = new Map<string, TaskSet>();

  constructor(
    private readonly runs: () => readonly RunIndexEntry[],
    private readonly state: vscode.Memento,
  ) {}

  /** The task sets to open again: those open when the window last closed. */
  get savedPaths(): readonly string[] {
    return this.state.get<string[]>(SAVED_TASK_SETS, []);
  }

  async add(set: TaskSet): Promise<void> {
    this.sets.set(set.path, set);
    this.changed.fire();
    await this.save();
  }

  async remove(setPath: string): Promise<void> {
    this.sets.delete(setPath);
    this.changed.fire();
    await this.state.update(
      SAVED_TASK_SETS,
      this.savedPaths.filter((saved) => saved !== setPath),
    );
  }

  private async save(): Promise<void> {
    const open = [...this.sets.keys()];
    await this.state.update(SAVED_TASK_SETS, [...new Set([...this.savedPaths, ...open])]);
  }

  refresh(): void {
    this.changed.fire();
  }

  get taskSets(): readonly TaskSet[] {
    return [...this.sets.values()];
  }

  allTasks(): Task[] {
    return this.taskSets.flatMap((set) => set.tasks);
  }

  getTreeItem(node: TasksTreeNode): vscode.TreeItem {
    return node;
  }

  getChildren(node?: TasksTreeNode): TasksTreeNode[] {
    if (!node) return this.taskSets.map((set) => new TaskSetItem(set));
    if (node instanceof TaskItem) return [];
    const latest = latestRunByTask(this.runs());
    return node.set.tasks.map((task) => new TaskItem(task, latest.get(task.id), node.set.path));
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function latestRunByTask(runs: readonly RunIndexEntry[]): Map<string, RunIndexEntry> {
  const latest = new Map<string, RunIndexEntry>();
  for (const run of runs) {
    const seen = latest.get(run.task_id);
    if (!seen || seen.started_at <= run.started_at) latest.set(run.task_id, run);
  }
  return latest;
}
