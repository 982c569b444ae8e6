/**
 * Every message between the Leaderboard webview (the report page, media/report/page.ts) and the extension,
 * one typed union per direction. The page renders every string with textContent: nothing is parsed as HTML.
 */
import type { GroupBy, Report } from '../../core/report/model';

/** What the Leaderboard shows: a subset of the output folder's runs, grouped one way. */
export interface LeaderboardFilters {
  by: GroupBy;
  /** Keep only these datasets / groups; empty keeps all. */
  datasets: string[];
  groups: string[];
}

export type ExtensionToLeaderboard =
  | { type: 'load'; report: Report; filters: LeaderboardFilters }
  /** Reading the runs failed, or there are none yet. */
  | { type: 'empty'; message: string };

export type LeaderboardToExtension =
  | { type: 'ready' }
  | { type: 'filter'; filters: LeaderboardFilters }
  /** Open this run's trajectory in playback. */
  | { type: 'openRun'; path: string }
  /** Sent after each render, so the extension (and its tests) know what the page shows. */
  | { type: 'rendered'; groups: string[]; tasks: number; charts: string[]; cells: number };
