/** Opens an HTML report in headless Debian chromium, as a person would, and tells what it showed. */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_BIN } from '../../e2e/host/codeServerHost';

export interface OpenedReport {
  /** Console errors and warnings, uncaught page errors. */
  errors: string[];
  /** Requests for anything but the file itself (the report must fetch nothing). */
  requests: string[];
  /** data-chart ids of the charts drawn, each with a canvas that has non-blank pixels. */
  drawnCharts: string[];
  leaderboardRows: number;
  matrixCells: number;
  /** The playback links of the matrix's attempts. */
  runLinks: string[];
}

/** Runs in the page (as text: this project's TypeScript has no DOM types): what the report drew. */
const IN_PAGE_SUMMARY = `(() => {
  const drawnCharts = [...document.querySelectorAll('figure.chart')].flatMap((figure) => {
    const canvas = figure.querySelector('canvas');
    if (!canvas || canvas.dataset.ready !== 'true' || canvas.width === 0) return [];
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = false;
    for (let i = 3; i < pixels.length && !painted; i += 4) painted = pixels[i] !== 0;
    return painted ? [figure.dataset.chart] : [];
  });
  return {
    drawnCharts,
    leaderboardRows: document.querySelectorAll('table.leaderboard tbody tr').length,
    matrixCells: document.querySelectorAll('table.matrix .cell').length,
    runLinks: [...document.querySelectorAll('table.matrix a.run')].map((link) => link.href),
  };
})()`;

export async function openReport(htmlPath: string, screenshot?: string): Promise<OpenedReport> {
  if (!existsSync(CHROMIUM_BIN))
    throw new Error(`chromium is not installed at ${CHROMIUM_BIN}: run \`bash scripts/e2e/install-vscode-host.sh\``);
  const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        errors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (request.url() !== `file://${htmlPath}`) requests.push(request.url());
    });
    await page.goto(`file://${htmlPath}`);
    await page.waitForSelector('body[data-rendered="true"]', { timeout: 30_000 });
    const shown = (await page.evaluate(IN_PAGE_SUMMARY)) as Omit<OpenedReport, 'errors' | 'requests'>;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, requests, ...shown };
  } finally {
    await browser.close();
  }
}
