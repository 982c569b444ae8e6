/** The extension's link to a run's playback: the CLI prints it, the extension's URI handler opens it. */
export function playbackLink(trajectory: string): string {
  return `vscode://rollout-studio.rollout-studio/playback?path=${encodeURIComponent(trajectory)}`;
}
