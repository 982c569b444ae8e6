import * as vscode from 'vscode';
import { registerCommands, type CommandFailure } from './commands';
import { recordsRun, type ActiveRun, type CommandContext } from './commands/context';
import { restoreTaskSets } from './commands/taskCommands';
import { DIFF_SCHEME, DiffDocuments } from './playback/diffDocuments';
import { leaderboardSerializer, playbackSerializer, playbackUriHandler } from './commands/runCommands';
import { PLAYBACK_VIEW_TYPE, type PlaybackPanel, type PlaybackWebviewState } from './playback/playbackPanel';
import { LEADERBOARD_VIEW_TYPE, type LeaderboardPanel } from './views/leaderboardPanel';
import type { LeaderboardFilters } from './views/leaderboardProtocol';
import { RunTestResults } from './results/testResults';
import { ApiKeys } from './secrets';
import { hasOutputFolder, readSettings, SETTINGS_SECTION } from './settings';
import { RunsTree } from './views/runsTree';
import { QueueMonitor } from './views/queueMonitor';
import { RunStatusBar } from './views/statusBar';
import { TasksTree } from './views/tasksTree';

/** What activate() returns: the extension's parts, for other extensions and for the e2e suite. */
export interface RolloutStudioApi {
  /** How long activate() took, in milliseconds. */
  activationMs: number;
  tasks: TasksTree;
  runs: RunsTree;
  statusBar: RunStatusBar;
  diffs: DiffDocuments;
  /** The Test Results view's controller of the runs shown there. */
  testResults: RunTestResults;
  apiKeys: ApiKeys;
  panels: readonly PlaybackPanel[];
  /** Commands that failed, with the message the user saw, oldest first. */
  failures: readonly CommandFailure[];
  log: vscode.LogOutputChannel;
  /** The batch now running, if any. */
  activeRun(): ActiveRun | undefined;
  /** The Leaderboard, while it is open. */
  leaderboard(): LeaderboardPanel | undefined;
  /** Opens `vscode://rollout-studio.rollout-studio/playback?path=…` links. */
  uriHandler: vscode.UriHandler;
  /** Gives playback tabs their runs back after a window reload. */
  playbackSerializer: vscode.WebviewPanelSerializer<PlaybackWebviewState>;
  /** Gives the Leaderboard tab its report and filters back after a window reload. */
  leaderboardSerializer: vscode.WebviewPanelSerializer<LeaderboardFilters>;
  /** The job queue's figures shown in the Runs view, when `rolloutStudio.queue.url` is set. */
  queue: QueueMonitor;
  runsView: vscode.TreeView<unknown>;
}

/** Runs on the first Rollout Studio command or view (the activation events VS Code derives from package.json). */
export function activate(extension: vscode.ExtensionContext): RolloutStudioApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Rollout Studio', { log: true });
  const runs = new RunsTree(
    () => (hasOutputFolder() ? readSettings().outputFolder : undefined),
    (entry) => recordsRun(context.activeRun, entry),
  );
  const tasks = new TasksTree(() => runs.runs, extension.workspaceState);
  const statusBar = new RunStatusBar();
  const diffs = new DiffDocuments();
  const testResults = new RunTestResults();
  const panels: PlaybackPanel[] = [];
  const failures: CommandFailure[] = [];
  const apiKeys = new ApiKeys(extension.secrets);
  const context: CommandContext = {
    extensionUri: extension.extensionUri,
    log,
    settings: readSettings,
    apiKeys,
    tasks,
    runs,
    statusBar,
    diffs,
    testResults,
    panels,
    leaderboard: undefined,
    activeRun: undefined,
    servedModel: undefined,
  };

  void restoreTaskSets(tasks, log);
  const uriHandler = playbackUriHandler(context);
  const serializer = playbackSerializer(context);
  const leaderboardTabs = leaderboardSerializer(context);
  const runsView = vscode.window.createTreeView('rolloutStudio.runs', { treeDataProvider: runs });
  const queue = new QueueMonitor(
    runsView,
    () => vscode.workspace.getConfiguration(SETTINGS_SECTION).get<string>('queue.url') ?? '',
    log,
  );
  void queue.follow();
  runs.onDidReadRuns((entries) => {
    tasks.refresh();
    if (!context.activeRun) statusBar.showIdle(entries.length);
  });
  runs.watch();
  extension.subscriptions.push(
    log,
    runs,
    tasks,
    statusBar,
    testResults,
    vscode.window.registerUriHandler(uriHandler),
    vscode.window.registerWebviewPanelSerializer(PLAYBACK_VIEW_TYPE, serializer),
    vscode.window.registerWebviewPanelSerializer(LEADERBOARD_VIEW_TYPE, leaderboardTabs),
    vscode.window.registerTreeDataProvider('rolloutStudio.tasks', tasks),
    runsView,
    queue,
    vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, diffs),
    vscode.workspace.onDidChangeConfiguration(
      (event) => event.affectsConfiguration(`${SETTINGS_SECTION}.outputFolder`) && runs.watch(),
    ),
    vscode.workspace.onDidChangeConfiguration(
      (event) => event.affectsConfiguration(`${SETTINGS_SECTION}.queue.url`) && void queue.follow(),
    ),
    // Trust makes the workspace's own values of the restricted settings (package.json) apply from now on.
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      log.info('workspace trusted: running agents and containers is enabled; its settings apply');
      runs.watch();
      void queue.follow();
    }),
    ...registerCommands(context, failures),
    { dispose: () => panels.forEach((panel) => panel.dispose()) },
    { dispose: () => context.leaderboard?.dispose() },
    { dispose: () => context.activeRun?.controller.abort() },
    { dispose: () => void context.servedModel?.stop() },
  );
  const activationMs = performance.now() - started;
  log.info(
    `activated in ${activationMs.toFixed(1)} ms (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted: agents and containers disabled'})`,
  );
  return {
    activationMs,
    tasks,
    runs,
    statusBar,
    diffs,
    testResults,
    apiKeys,
    panels,
    failures,
    log,
    activeRun: () => context.activeRun,
    leaderboard: () => context.leaderboard,
    uriHandler,
    playbackSerializer: serializer,
    leaderboardSerializer: leaderboardTabs,
    queue,
    runsView,
  };
}
