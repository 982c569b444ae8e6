// Copies the pictures the e2e suite took in the real VS Code (out/e2e/screenshots/, written by
// `node scripts/test.mjs e2e`) and the HTML report test's (out/report/screenshots/) over the README's copies in
// media/screenshots/. Run it after those tests: `npm run screenshots`. A picture no test took this time keeps its
// old copy and is named, so a partial run never leaves a gap.
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** Every picture media/screenshots/ holds (see its README), by the folder the test that takes it writes to. */
const SCREENSHOTS = {
  'out/e2e/screenshots': [
    'playback-live-run.png',
    'playback-finished-run-light.png',
    'playback-finished-run-dark.png',
    'playback-finished-run-high-contrast.png',
    'playback-thousand-turns.png',
    'playback-light.png',
    'playback-dark.png',
    'playback-high-contrast.png',
    'diff-editor-turn-500.png',
    'tasks-view-light.png',
    'tasks-view-dark.png',
    'tasks-view-high-contrast.png',
    'leaderboard.png',
  ],
  'out/report/screenshots': ['report-html.png'],
};

const missing = [];
let copied = 0;
for (const [folder, names] of Object.entries(SCREENSHOTS))
  for (const name of names) {
    const source = join(folder, name);
    if (!existsSync(source)) {
      missing.push(source);
      continue;
    }
    copyFileSync(source, join('media', 'screenshots', name));
    copied++;
  }
console.log(`media/screenshots: ${copied} picture(s) copied`);
if (missing.length) console.log(`not taken in the last run (their old copies stay):\n  ${missing.join('\n  ')}`);
