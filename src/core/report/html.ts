/**
 * The report as one self-contained HTML file: the page script (Chart.js and its error-bar plugin bundled in,
 * built to dist/report-page.js) and the stylesheet inlined, the report embedded as JSON. It opens offline, from
 * a disk or a pull request's attachments, and fetches nothing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../paths';
import type { Report } from './model';

/** Built by scripts/build.mjs from media/report/page.ts. */
export const REPORT_PAGE_SCRIPT = join('dist', 'report-page.js');
export const REPORT_PAGE_STYLE = join('media', 'report', 'report.css');

/** JSON that is safe inside a <script> element: no `</script>`, no `<!--`, no line separators JS would trip on. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export async function renderHtmlReport(report: Report): Promise<string> {
  const root = packageRoot();
  const [script, style] = await Promise.all([
    readFile(join(root, REPORT_PAGE_SCRIPT), 'utf8').catch(() => {
      throw new Error(`${join(root, REPORT_PAGE_SCRIPT)} is missing: run \`npm run build\` first`);
    }),
    readFile(join(root, REPORT_PAGE_STYLE), 'utf8'),
  ]);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>Rollout Studio report: ${report.runs} runs by ${report.by}</title>
<style>
${style}
</style>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script type="application/json" id="report-data">${scriptSafeJson(report)}</script>
<script>
${script.replace(/<\/script/gi, '<\\/script')}
</script>
</body>
</html>
`;
}

export async function writeHtmlReport(report: Report, out: string): Promise<void> {
  await writeFile(out, await renderHtmlReport(report));
}
