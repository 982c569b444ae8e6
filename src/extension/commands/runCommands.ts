import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  IMPORT_FORMATS,
  importedBeforeNote,
  importTrajectories,
  type ImportFormat,
  type ImportSummary,
} from '../../core/trajectory/import/importer';
import { ownerIsGone, thisProcess } from '../../core/processOwner';
import { removeFromRunIndex } from '../../core/trajectory/runIndex';
import { PlaybackPanel, type PlaybackWebviewState } from '../playback/playbackPanel';
import { withProgress } from '../progress';
import { requireTrust } from '../trust';
import type { LeaderboardFilters } from '../views/leaderboardProtocol';
import { LeaderboardPanel, type LeaderboardSources } from '../views/leaderboardPanel';
import { RunItem } from '../views/runsTree';
import { recordsRun, type CommandContext } from './context';
import { fileArgumentOrPick } from './pick';

/** Rollout Studio: Open Trajectory… — a `trajectory.jsonl` (or a run folder holding one) in the playback view. */
export async function openTrajectory(context: CommandContext, argument?: unknown): Promise<PlaybackPanel | undefined> {
  const picked = await fileArgumentOrPick(argument, {
    canSelectFiles: true,
    title: 'Open Trajectory',
    filters: { 'Trajectory logs': ['jsonl'] },
  });
  if (!picked) return undefined;
  const logPath = path.resolve(picked.endsWith('.jsonl') ? picked : path.join(picked, 'trajectory.jsonl'));
  // One panel per run: opening a run again shows its panel.
  const open = context.panels.find((candidate) => candidate.logPath === logPath);
  if (open) {
    open.panel.reveal();
    return open;
  }
  return trackPanel(context, await PlaybackPanel.open(logPath, context.extensionUri, context.diffs, context.log));
}

function trackPanel(context: CommandContext, panel: PlaybackPanel): PlaybackPanel {
  context.panels.push(panel);
  panel.panel.onDidDispose(() => {
    const index = context.panels.indexOf(panel);
    if (index >= 0) context.panels.splice(index, 1);
  });
  context.log.info(`playback of ${panel.logPath}: ${panel.turnCount} turns`);
  return panel;
}

/** Gives the playback tabs open before a window reload their runs back; a run deleted since closes its tab. */
export function playbackSerializer(context: CommandContext): vscode.WebviewPanelSerializer<PlaybackWebviewState> {
  return {
    async deserializeWebviewPanel(webviewPanel, state): Promise<void> {
      const { logPath, selected } = (state ?? {}) as Partial<PlaybackWebviewState>;
      if (typeof logPath !== 'string' || context.panels.some((open) => open.logPath === logPath)) {
        webviewPanel.dispose();
        return;
      }
      const restore = { logPath, selected: typeof selected === 'number' ? selected : 0 };
      try {
        trackPanel(
          context,
          await PlaybackPanel.restore(webviewPanel, restore, context.extensionUri, context.diffs, context.log),
        );
      } catch (error) {
        context.log.warn(`playback of ${logPath} not restored: ${(error as Error).message}`);
        webviewPanel.dispose();
      }
    },
  };
}

/** Opens the links of `playbackLink` (which `rollout demo --open` hands to VS Code). */
export function playbackUriHandler(context: CommandContext): vscode.UriHandler {
  return {
    async handleUri(uri: vscode.Uri): Promise<void> {
      const logPath = new URLSearchParams(uri.query).get('path');
      if (uri.path !== '/playback' || !logPath) {
        void vscode.window.showErrorMessage(
          `Rollout Studio cannot open ${uri.toString(true)}: expected /playback?path=TRAJECTORY`,
        );
        return;
      }
      await openTrajectory(context, logPath);
    },
  };
}

/** Rollout Studio: Show Leaderboard — the report of the output folder's runs, opened once and kept current. */
export async function showLeaderboard(context: CommandContext): Promise<LeaderboardPanel> {
  if (context.leaderboard) {
    context.leaderboard.reveal();
    await context.leaderboard.reload();
    return context.leaderboard;
  }
  return keepLeaderboard(context, LeaderboardPanel.open(context.extensionUri, leaderboardSources(context)));
}

/** Gives the Leaderboard tab its report back, with the filters it showed, after a window reload. */
export function leaderboardSerializer(context: CommandContext): vscode.WebviewPanelSerializer<LeaderboardFilters> {
  return {
    async deserializeWebviewPanel(webviewPanel, filters): Promise<void> {
      // One Leaderboard: a second restored tab (two windows' worth of state) is closed.
      if (context.leaderboard) return webviewPanel.dispose();
      const sources = leaderboardSources(context);
      keepLeaderboard(context, LeaderboardPanel.restore(webviewPanel, filters, context.extensionUri, sources));
    },
  };
}

function leaderboardSources(context: CommandContext): LeaderboardSources {
  return {
    outputFolder: () => context.settings().outputFolder,
    taskSets: () => context.tasks.taskSets,
    openRun: (logPath) => openTrajectory(context, logPath),
    log: context.log,
  };
}

function keepLeaderboard(context: CommandContext, panel: LeaderboardPanel): LeaderboardPanel {
  context.leaderboard = panel;
  panel.panel.onDidDispose(() => (context.leaderboard = undefined));
  return panel;
}

/** Runs view: open a run in playback. */
export async function openRun(context: CommandContext, item?: unknown): Promise<PlaybackPanel | undefined> {
  return openTrajectory(context, requireRunItem(item, 'Open Run').logPath);
}

/**
 * Runs view: delete a run's folder after asking. A run this window is recording must be stopped first; a
 * stale one (the index says running, no live process on this machine records it) can be deleted, with a warning.
 */
export async function deleteRun(context: CommandContext, item?: unknown, confirmed?: unknown): Promise<boolean> {
  requireTrust('Delete Run');
  const run = requireRunItem(item, 'Delete Run');
  if (run.entry.status === 'running' && recordsRun(context.activeRun, run.entry))
    throw new Error(`Delete Run: ${run.entry.run_id} is being recorded; stop the run first`);
  const owner = run.entry.owner;
  if (run.entry.status === 'running' && owner?.host === thisProcess().host && !ownerIsGone(owner))
    throw new Error(
      `Delete Run: ${run.entry.run_id} is being recorded by process ${owner.pid} on ${owner.host}; stop it first`,
    );
  const runDir = path.dirname(run.logPath);
  if (confirmed !== true) {
    const stale =
      run.entry.status === 'running'
        ? ` The index says it is still running${owner ? ` (recorded by process ${owner.pid} on ${owner.host})` : ''}, but no process here records it: a crash or a kill left it so, or a process on another machine still writes it.`
        : '';
    const answer = await vscode.window.showWarningMessage(
      `Delete run ${run.entry.run_id} (${runDir})?${stale}`,
      { modal: true },
      'Delete',
    );
    if (answer !== 'Delete') return false;
  }
  await rm(runDir, { recursive: true, force: true });
  await removeFromRunIndex(context.settings().outputFolder, run.entry.run_id);
  context.log.info(`deleted run ${run.entry.run_id} (${runDir})`);
  context.runs.refresh();
  return true;
}

function requireRunItem(item: unknown, action: string): RunItem {
  if (item instanceof RunItem) return item;
  throw new Error(`${action}: choose a run in the Runs view`);
}

/** Rollout Studio: Import Trajectory… — SWE-agent, mini-swe-agent, OpenHands or OpenAI chat JSONL into the output folder. */
export async function importTrajectory(
  context: CommandContext,
  fileArgument?: unknown,
  formatArgument?: unknown,
): Promise<ImportSummary | undefined> {
  const file = await fileArgumentOrPick(fileArgument, {
    canSelectFiles: true,
    title: 'Import Trajectory (SWE-agent .traj, mini-swe-agent JSON, OpenHands events, OpenAI JSONL)',
  });
  if (!file) return undefined;
  const format = typeof formatArgument === 'string' ? checkFormat(formatArgument) : await pickFormat(file);
  if (!format) return undefined;
  const outDir = context.settings().outputFolder;
  const summary = await withProgress(`importing ${path.basename(file)}`, { cancellable: true }, async (progress) => {
    progress.report(`reading ${format} trajectories`);
    return importTrajectories(file, format, outDir, { signal: progress.signal });
  });
  const before = importedBeforeNote(summary);
  context.log.info(`imported ${summary.runs.length} run(s) from ${file} (${format}) into ${outDir}${before}`);
  context.runs.refresh();
  void vscode.window.showInformationMessage(
    `Rollout Studio: imported ${summary.runs.length} run(s) from ${path.basename(file)}${before}.`,
  );
  return summary;
}

function checkFormat(format: string): ImportFormat {
  if ((IMPORT_FORMATS as readonly string[]).includes(format)) return format as ImportFormat;
  throw new Error(`Import Trajectory: unknown format '${format}'; choose one of ${IMPORT_FORMATS.join(', ')}`);
}

async function pickFormat(file: string): Promise<ImportFormat | undefined> {
  const guess: ImportFormat = file.endsWith('.traj')
    ? 'swe-agent'
    : file.endsWith('.jsonl')
      ? 'openai'
      : file.endsWith('.traj.json')
        ? 'mini-swe-agent'
        : 'openhands';
  const items = [guess, ...IMPORT_FORMATS.filter((format) => format !== guess)].map((format) => ({ label: format }));
  return (await vscode.window.showQuickPick(items, { title: `Format of ${path.basename(file)}` }))?.label as
    ImportFormat | undefined;
}
