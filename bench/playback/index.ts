/**
 * Playback of a long run: the bytes the extension posts to the webview for its first render, and the time
 * from that message to the page's first render report, in Debian's chromium running media/playback.js as
 * VS Code serves it. The baseline, measured in the same run, is the first message as it was before patches
 * were sent per turn: the same turns, each with the work tree's whole cumulative patch.
 *   node scripts/bench.mjs playback [--turns 1000]
 * Needs chromium (scripts/e2e/install-vscode-host.sh). Prints its figures last as one JSON line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import type { Trajectory } from '../../src/core/trajectory/types';
import { toPlaybackLoad } from '../../src/extension/playback/playbackModel';
import { CHROMIUM_ARGS, CHROMIUM_BIN } from '../../test/e2e/host/codeServerHost';
import { syntheticTurn } from '../../test/e2e/suite/fakeRun';

const TARGET_FIRST_RENDER_MS = 1000;
const TARGET_POSTED_BYTES = 1_000_000;
const REPEATS = 5;
/** out/bench/playback/index.js → the project root. */
const PROJECT_ROOT = join(__dirname, '..', '..', '..');

/** The page's globals this file uses (the bench is compiled without the DOM's types). */
type PageGlobals = {
  sent: { type: string; turnCount?: number }[];
  acquireVsCodeApi: () => unknown;
  postMessage: (message: unknown, origin: string) => void;
};

function longRun(turns: number): Trajectory {
  return {
    run: {
      run_id: 'bench-playback',
      task_id: 'synthetic__bench-playback',
      attempt: 0,
      policy: 'synthetic:bench',
      model: { name: 'none', parameters: {} },
      tools: [],
      tool_versions: { 'rollout-studio': 'bench' },
      started_at: new Date(0).toISOString(),
    },
    turns: Array.from({ length: turns }, (_, index) => ({ index, ...syntheticTurn(index) })),
    events: [],
    result: {
      exit_status: 'submitted',
      ended_at: new Date(0).toISOString(),
      patch: syntheticTurn(turns - 1).diff!,
      reward: { value: 1, resolved: true },
      totals: { turns, tokens_in: turns * 900, tokens_out: turns * 60, cost_usd: 1.5, duration_ms: turns * 2000 },
    },
  };
}

/** The playback page with VS Code's webview API stood in for: what the page posts back is collected. */
async function playbackPage(page: Page): Promise<void> {
  const media = join(PROJECT_ROOT, 'media');
  await page.setContent(
    `<!DOCTYPE html><html><head><style>${readFileSync(join(media, 'playback.css'), 'utf8')}</style></head>` +
      '<body><div id="app" class="app"></div></body></html>',
  );
  await page.evaluate(() => {
    const page = globalThis as unknown as PageGlobals;
    page.sent = [];
    page.acquireVsCodeApi = () => ({
      postMessage: (message: { type: string }) => page.sent.push(message),
      getState: () => undefined,
      setState: () => undefined,
    });
  });
  await page.addScriptTag({ content: readFileSync(join(media, 'playback.js'), 'utf8') });
}

/** Milliseconds from posting `message` to the page to its report of having rendered every turn. */
async function firstRenderMs(page: Page, message: string, turns: number): Promise<number> {
  await playbackPage(page);
  return page.evaluate(
    ([text, count]) =>
      new Promise<number>((resolve) => {
        const page = globalThis as unknown as PageGlobals;
        const started = performance.now();
        const poll = () => {
          if (page.sent.some((m) => m.type === 'rendered' && m.turnCount === count))
            resolve(performance.now() - started);
          else setTimeout(poll, 1);
        };
        // VS Code hands the page the message structured-cloned from its JSON: parse it in the page, as it does.
        page.postMessage(JSON.parse(text), '*');
        poll();
      }),
    [message, turns] as const,
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const turnsArg = process.argv.indexOf('--turns');
  const turns = turnsArg >= 0 ? Number(process.argv[turnsArg + 1]) : 1000;
  const trajectory = longRun(turns);
  const buildMs: number[] = [];
  let load = toPlaybackLoad(trajectory, '/runs/bench-playback/trajectory.jsonl');
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const started = performance.now();
    load = toPlaybackLoad(trajectory, '/runs/bench-playback/trajectory.jsonl');
    buildMs.push(performance.now() - started);
  }
  const posted = JSON.stringify(load);
  const baseline = JSON.stringify({
    ...load,
    turns: load.turns.map((turn, index) => ({ ...turn, diff: trajectory.turns[index].diff })),
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: CHROMIUM_ARGS });
  const renderMs: number[] = [];
  const baselineRenderMs: number[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      renderMs.push(await firstRenderMs(page, posted, turns));
      baselineRenderMs.push(await firstRenderMs(page, baseline, turns));
    }
  } finally {
    await browser.close();
  }
  const figures = {
    turns,
    posted_bytes: Buffer.byteLength(posted),
    baseline_posted_bytes: Buffer.byteLength(baseline),
    build_message_ms_p50: Number(median(buildMs).toFixed(1)),
    first_render_ms_p50: Number(median(renderMs).toFixed(1)),
    baseline_first_render_ms_p50: Number(median(baselineRenderMs).toFixed(1)),
    target_posted_bytes: TARGET_POSTED_BYTES,
    target_first_render_ms: TARGET_FIRST_RENDER_MS,
  };
  // The first render is the extension's building of the message and the page's rendering of it.
  const firstRenderTotalMs = figures.build_message_ms_p50 + figures.first_render_ms_p50;
  const met = figures.posted_bytes < TARGET_POSTED_BYTES && firstRenderTotalMs < TARGET_FIRST_RENDER_MS;
  console.log(
    `${turns} turns: ${figures.posted_bytes} bytes posted (was ${figures.baseline_posted_bytes}); first render ` +
      `${figures.build_message_ms_p50} ms to build the message + ${figures.first_render_ms_p50} ms in the page, ` +
      `p50 of ${REPEATS} (the page with whole patches: ${figures.baseline_first_render_ms_p50} ms); ` +
      `targets < ${TARGET_POSTED_BYTES} bytes and < ${TARGET_FIRST_RENDER_MS} ms ${met ? 'met' : 'NOT met'}`,
  );
  console.log(JSON.stringify({ bench: 'playback', ...figures, targets_met: met }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
