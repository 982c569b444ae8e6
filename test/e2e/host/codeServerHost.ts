/**
 * Drives a real VS Code: starts code-server (VS Code's own server build, installed by
 * scripts/e2e/install-vscode-host.sh), opens its workbench in Debian's chromium with VS Code's web
 * integration-test payload, and returns what the extension host's mocha suite printed and its exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { format } from 'node:util';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';

// The workbench answers slowly on a busy 2-core machine; a UI step fails only when it truly never happens.
const UI_TIMEOUT_MS = 30_000;

export const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');
const HOST_DIR = process.env.VSCODE_HOST_DIR ?? join(PROJECT_ROOT, '.vscode-test', 'code-server');
export const CODE_SERVER_BIN = join(HOST_DIR, 'node_modules', '.bin', 'code-server');
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const INSTALL_HINT = 'run `bash scripts/e2e/install-vscode-host.sh` (as root) first';

export interface HostRunOptions {
  /** Absolute path of the extension under test (its package.json folder). */
  extensionPath: string;
  /** Absolute path of the compiled suite entry that exports `run()`. */
  testsPath: string;
  /** Folder the workbench opens as its workspace; none opens an empty window. */
  workspacePath?: string;
  /** False opens the workspace in restricted mode (workspace trust enabled, folder not trusted). */
  trusted: boolean;
  /** Passed to the extension host's environment, e.g. to pick a suite. */
  env?: Record<string, string>;
  /** Each line of the suite's output as it arrives. */
  onLog: (line: string) => void;
  /** Folder for the page's screenshots and UI-action acknowledgements; the suite cannot drive the UI without it. */
  screenshotDir?: string;
  timeoutMs: number;
}

export interface HostRunResult {
  exitCode: number;
  /** Set when the host could not be started or the suite never reported. */
  failure?: string;
}

export function assertHostInstalled(): void {
  if (!existsSync(CODE_SERVER_BIN))
    throw new Error(`code-server is not installed at ${CODE_SERVER_BIN}: ${INSTALL_HINT}`);
  if (!existsSync(CHROMIUM_BIN)) throw new Error(`chromium is not installed at ${CHROMIUM_BIN}: ${INSTALL_HINT}`);
}

/** Runs the suite once in a fresh code-server + chromium, and always stops both and removes their folders. */
export async function runSuiteInVsCode(options: HostRunOptions): Promise<HostRunResult> {
  assertHostInstalled();
  // Acknowledgements are numbered from 1 in every run: an earlier run's must not answer this one's requests.
  if (options.screenshotDir) rmSync(join(options.screenshotDir, '.acks'), { recursive: true, force: true });
  const scratch = mkdtempSync(join(tmpdir(), 'rollout-e2e-'));
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    const port = await freeLoopbackPort();
    server = startCodeServer(port, scratch, options);
    const serverExit = exitOf(server);
    await waitForHealthy(port, serverExit, options.onLog);
    browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const exitCode = await runInPage(page, port, options, serverExit);
    if (options.screenshotDir) await page.screenshot({ path: join(options.screenshotDir, 'workbench-final.png') });
    return { exitCode };
  } catch (error) {
    return { exitCode: 1, failure: (error as Error).message };
  } finally {
    await browser?.close().catch(() => undefined);
    if (server) await stopProcess(server);
    rmSync(scratch, { recursive: true, force: true });
  }
}

// Headless, with everything that would reach outside this machine switched off.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // The workbench is on loopback; no other host name resolves.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

function startCodeServer(port: number, scratch: string, options: HostRunOptions): ChildProcess {
  const userDataDir = join(scratch, 'user-data');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(WORKBENCH_SETTINGS, null, 2));
  const args = [
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    join(scratch, 'extensions'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(options.trusted ? ['--disable-workspace-trust'] : []),
  ];
  const child = spawn(CODE_SERVER_BIN, args, {
    env: {
      ...process.env,
      ...options.env,
      XDG_CONFIG_HOME: join(scratch, 'config'),
      XDG_DATA_HOME: join(scratch, 'data'),
      XDG_CACHE_HOME: join(scratch, 'cache'),
      // No extension gallery: without one configured, code-server would query open-vsx.org.
      EXTENSIONS_GALLERY: '{}',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const forward = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .forEach((line) => options.onLog(`[code-server] ${line}`));
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  return child;
}

const WORKBENCH_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.untrustedFiles': 'open',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
};

async function runInPage(
  page: Page,
  port: number,
  options: HostRunOptions,
  serverExit: Promise<string>,
): Promise<number> {
  let reportExit!: (code: number) => void;
  const suiteExit = new Promise<number>((resolveExit) => (reportExit = resolveExit));
  await page.exposeFunction('codeAutomationLog', async (level: string, message: unknown) => {
    // The extension host forwards console calls as their argument lists (format string first).
    const text = Array.isArray(message) ? format(...(message as unknown[])) : String(message);
    for (const line of text.split('\n')) {
      options.onLog(level === 'info' || level === 'log' ? line : `[${level}] ${line}`);
      const request = UI_REQUEST.exec(line);
      if (request && options.screenshotDir)
        await performUiAction(page, options.screenshotDir, request[1], request[2], request[3]);
    }
  });
  await page.exposeFunction('codeAutomationExit', (code: number) => reportExit(code));
  page.on('pageerror', (error) => options.onLog(`[page error] ${error.message}`));
  // Only the navigation: the suite's own exit (below) says when the workbench has done its work.
  await page.goto(workbenchUrl(port, options), { waitUntil: 'commit' });
  return Promise.race([
    suiteExit,
    serverExit.then((why) => Promise.reject(new Error(`code-server stopped while the suite ran: ${why}`))),
    delay(options.timeoutMs).then(() =>
      Promise.reject(new Error(`the suite did not finish within ${options.timeoutMs / 1000} s`)),
    ),
  ]);
}

/**
 * The suite drives the workbench UI by logging `[[ui:ID:ACTION:ARGUMENT]]` (ID: the extension host's pid and a
 * count, so a suite run again after a window reload is not answered by the earlier host's acknowledgements); the
 * harness performs the action with Playwright and acknowledges it by writing `<screenshotDir>/.acks/ID` (the suite
 * waits for that file, see `ui()` in test/e2e/suite/helpers.ts). ACTION is `screenshot` (ARGUMENT names
 * `<screenshotDir>/<name>.png`), `palette` (runs the command whose palette title is ARGUMENT), `pick` (in the open multi-select quick pick,
 * filters to ARGUMENT, checks that one item, and accepts), `choose` (in the open single-select quick pick, filters to
 * ARGUMENT and accepts the item it focuses), `enter` (ARGUMENT is JSON `{"title", "value"}`: in the open input box of
 * that title, replaces its text with the value and accepts), `clickWebview` (clicks what CSS selector ARGUMENT
 * finds in the visible webview's page), `waitWebview` (waits until CSS selector ARGUMENT finds an element in the
 * visible webview's page), `axe` (runs axe-core's WCAG 2 A and AA rules on the visible webview's page and writes
 * its results to `<screenshotDir>/<ARGUMENT>.axe.json`), `click` / `waitFor` (clicks, or waits for, the first
 * visible element of the workbench's own page that Playwright selector ARGUMENT finds), `type` (types ARGUMENT)
 * or `press` (a key).
 */
const UI_REQUEST =
  /\[\[ui:([\d-]+):(screenshot|palette|pick|choose|enter|clickWebview|waitWebview|axe|click|waitFor|type|press):(.*)\]\]/;

async function performUiAction(page: Page, dir: string, id: string, action: string, argument: string): Promise<void> {
  let outcome = 'ok';
  try {
    await uiAction(page, dir, action, argument);
  } catch (error) {
    outcome = `failed: ${(error as Error).message}`;
    await page.screenshot({ path: join(dir, `failed-${id}.png`), timeout: 10_000 }).catch(() => undefined);
  }
  const acks = join(dir, '.acks');
  mkdirSync(acks, { recursive: true });
  // Written whole, then renamed: the suite reads the file as soon as it exists, and once read an empty one.
  writeFileSync(join(acks, `.${id}.tmp`), outcome);
  renameSync(join(acks, `.${id}.tmp`), join(acks, id));
}

async function uiAction(page: Page, dir: string, action: string, argument: string): Promise<void> {
  switch (action) {
    case 'screenshot':
      await page.screenshot({ path: join(dir, `${argument.replace(/[^\w.-]/g, '_')}.png`) });
      break;
    case 'palette':
      await quickInputStep(page, `running '${argument}' from the palette`, (deadline) =>
        runFromPalette(page, argument, deadline),
      );
      break;
    case 'pick':
      await quickInputStep(page, `picking '${argument}'`, (deadline) => pickOne(page, argument, deadline));
      break;
    case 'choose':
      await quickInputStep(page, `choosing '${argument}'`, (deadline) => chooseOne(page, argument, deadline));
      break;
    case 'enter': {
      const { title, value } = JSON.parse(argument) as { title: string; value: string };
      await quickInputStep(page, `entering '${value}' in '${title}'`, (deadline) =>
        enterValue(page, title, value, deadline),
      );
      break;
    }
    case 'clickWebview':
      await webviewContent(page).locator(argument).first().click({ timeout: UI_TIMEOUT_MS });
      break;
    case 'waitWebview':
      await webviewContent(page).locator(argument).first().waitFor({ state: 'attached', timeout: UI_TIMEOUT_MS });
      break;
    case 'axe':
      writeFileSync(join(dir, `${argument.replace(/[^\w.-]/g, '_')}.axe.json`), JSON.stringify(await runAxe(page)));
      break;
    case 'click':
      // An element of the workbench itself (not a webview's), by Playwright selector, once it is visible.
      await page.locator(argument).first().click({ timeout: UI_TIMEOUT_MS });
      break;
    case 'waitFor':
      await page.locator(argument).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      break;
    case 'type':
      await page.keyboard.type(argument, { delay: 10 });
      break;
    case 'press':
      await page.keyboard.press(argument);
      break;
  }
}

/** The visible webview's own page: a webview is an iframe whose content lives in a nested iframe. */
function webviewContent(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');
}

/**
 * axe-core (WCAG 2.x A and AA rules, colour contrast included) on the rendered page of the visible webview, in
 * the theme the workbench shows. The script goes in through the DevTools protocol, which the page's CSP does
 * not govern.
 */
async function runAxe(page: Page): Promise<AxeResults> {
  const outer = await (await page.locator('iframe.webview.ready:visible').first().elementHandle())?.contentFrame();
  const content = await (await outer?.locator('#active-frame').elementHandle())?.contentFrame();
  if (!content) throw new Error('no visible webview to check');
  await content.evaluate(readFileSync(join(PROJECT_ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8'));
  const options = {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'],
  };
  return content.evaluate<AxeResults>(`axe.run(document, ${JSON.stringify(options)})`);
}

/** What the suite reads of axe-core's results. */
export interface AxeResults {
  violations: {
    id: string;
    impact: string | null;
    help: string;
    nodes: { target: unknown[]; failureSummary?: string }[];
  }[];
}

/**
 * The limit of a step through the quick input (the palette, a picker): a guard against a hung workbench, not a
 * speed figure. The suite waits longer for the step's acknowledgement (QUICK_INPUT_ACK_MS in
 * test/e2e/suite/helpers.ts), so the error that names what the step waited for is the one reported.
 */
const QUICK_INPUT_STEP_MS = 90_000;

const QUICK_INPUT_BOX = '.quick-input-widget .quick-input-box input';

/**
 * Runs a step through the quick input, failing soon after its deadline with what the quick input showed then,
 * whichever Playwright call the step is waiting on (each has its own, longer, default limit): the suite's wait for
 * the step's acknowledgement then ends with this reason, not with a bare time-out.
 */
async function quickInputStep(page: Page, what: string, step: (deadline: number) => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void quickInputState(page).then((state) =>
        reject(new Error(`${what} did not finish within ${QUICK_INPUT_STEP_MS / 1000} s; the quick input: ${state}`)),
      );
    }, QUICK_INPUT_STEP_MS + 5_000);
  });
  try {
    await Promise.race([step(Date.now() + QUICK_INPUT_STEP_MS), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The quick input as the page shows it: shown or not, its text, its first rows and which is focused. */
async function quickInputState(page: Page): Promise<string> {
  const read = async () => {
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    const labels = async (found: typeof rows) =>
      Promise.all((await found.all()).slice(0, 5).map((row) => row.getAttribute('aria-label', { timeout: 1_000 })));
    return JSON.stringify({
      shown: await page.locator('.quick-input-widget').isVisible(),
      text: await page.locator(QUICK_INPUT_BOX).inputValue({ timeout: 1_000 }),
      rows: await labels(rows),
      focused: await labels(rows.and(page.locator('.focused'))),
    });
  };
  const unanswered = new Promise<string>((resolve) => setTimeout(() => resolve('(the page did not answer)'), 5_000));
  return Promise.race([read().catch((error: Error) => `(unreadable: ${error.message.split('\n')[0]})`), unanswered]);
}

/** Polls `check` until it holds (true) or `deadline` passes (false). */
async function until(check: () => Promise<boolean>, deadline: number): Promise<boolean> {
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Waits until the quick input's box is shown and holds what `shows` expects of its text (the palette's `>`, or a
 * picker's empty filter). `openingKey`, when the step has one, is the key that opens it (the palette's F1). It is
 * pressed again only when the workbench never received the last press (a key can be lost on a busy workbench),
 * or received it but did nothing for `KEY_HANDLED_MS`. A received key can be handled late on a busy
 * workbench (its command first waits for the extension host), and a second F1 handled late resets the palette's
 * filled text, or replaces the picker that the palette's command opened, which cancels that command. The one way
 * every UI step reaches the quick input.
 */
async function readyQuickInput(
  page: Page,
  what: string,
  shows: (text: string) => boolean,
  deadline: number,
  openingKey?: string,
): Promise<void> {
  const box = page.locator(QUICK_INPUT_BOX);
  const ready = async () => (await box.isVisible()) && shows(await box.inputValue());
  const presses = { made: 0, received: 0 };
  for (;;) {
    if (await ready().catch(() => false)) return;
    let waitUntil = deadline;
    if (openingKey) {
      presses.made++;
      const received = await pressUntilReceived(page, openingKey, deadline);
      if (received) presses.received++;
      waitUntil = received ? Math.min(Date.now() + KEY_HANDLED_MS, deadline) : Date.now();
    }
    if (await until(ready, waitUntil)) return;
    if (Date.now() > deadline) {
      const keys = openingKey ? `; ${openingKey} pressed ${presses.made} times, received ${presses.received}` : '';
      const state = await quickInputState(page);
      throw new Error(`${what} was not shown within ${QUICK_INPUT_STEP_MS / 1000} s; the quick input: ${state}${keys}`);
    }
  }
}

/** A press the workbench has not received by then is taken as lost. */
const KEY_RECEIVED_MS = 5_000;
/** A received press that opened nothing by then is taken as dropped. */
const KEY_HANDLED_MS = 20_000;

/**
 * Presses `key` and waits until the workbench's window receives its keydown (a webview forwards the keys it gets
 * there), at most `KEY_RECEIVED_MS`; false when it did not.
 */
async function pressUntilReceived(page: Page, key: string, deadline: number): Promise<boolean> {
  const before = await keydownsReceived(page, key).catch(() => 0);
  await page.keyboard.press(key);
  const received = async () => (await keydownsReceived(page, key)) > before;
  return until(received, Math.min(Date.now() + KEY_RECEIVED_MS, deadline));
}

/**
 * How many keydowns of `key` the workbench's window has received since the harness first asked (page load); with
 * `inQuickInput`, only those the quick input received.
 */
async function keydownsReceived(page: Page, key: string, { inQuickInput = false } = {}): Promise<number> {
  const counted = inQuickInput ? `${key} in the quick input` : key;
  return page.evaluate((wanted) => {
    type Counted = { rolloutKeydowns?: Map<string, number> } & Pick<EventTarget, 'addEventListener'>;
    type KeyEvent = Event & { key: string; target: { closest?: (selector: string) => unknown } | null };
    const window = globalThis as unknown as Counted;
    if (!window.rolloutKeydowns) {
      const counts = (window.rolloutKeydowns = new Map<string, number>());
      const add = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
      // Capturing at the window: it sees every keydown first, the ones a webview forwards included.
      const count = (event: Event) => {
        const { key, target } = event as KeyEvent;
        add(key);
        if (target?.closest?.('.quick-input-widget')) add(`${key} in the quick input`);
      };
      window.addEventListener('keydown', count, true);
    }
    return window.rolloutKeydowns.get(wanted) ?? 0;
  }, counted);
}

/**
 * Types `text` into the ready quick input (filled, not typed: on a busy machine keystrokes can arrive before the
 * box has focus and never filter), waits for the list row `row` to show, and accepts with Enter once. False when
 * the box did not keep the text (it closed, or a late key reset it) or closed before the Enter reached it, so the
 * caller readies it and fills again.
 */
async function fillAndAccept(page: Page, text: string, row: string, deadline: number, select?: () => Promise<void>) {
  const box = page.locator(QUICK_INPUT_BOX);
  const holdsText = async () => (await box.isVisible()) && (await box.inputValue()) === text;
  // A short limit per try: the caller's loop, not one hung fill, spends the step's time.
  await box.fill(text, { timeout: Math.min(Math.max(deadline - Date.now(), 1), 10_000) }).catch(() => undefined);
  const rowShown = () => page.locator(row).first().isVisible();
  const settled = async () => (await rowShown()) || !(await holdsText());
  if (!(await until(settled, deadline)))
    throw new Error(`no row ${row} for '${text}' within ${QUICK_INPUT_STEP_MS / 1000} s`);
  if (!(await holdsText().catch(() => false))) return false;
  await select?.();
  // Pressed once only: a second Enter could run the command twice. Accepted is closed or showing what comes next.
  const entersBefore = await keydownsReceived(page, 'Enter', { inQuickInput: true }).catch(() => 0);
  await box.press('Enter');
  const accepted = async () => !(await box.isVisible()) || (await box.inputValue()) !== text;
  if (!(await until(accepted, deadline))) throw new Error(`'${text}' was not accepted`);
  // Closed under the key: something took the focus (the palette closes when it loses it), and the Enter went
  // there, so nothing was accepted. Unknown (the page did not answer) counts as accepted: never run a command twice.
  const entersAfter = await keydownsReceived(page, 'Enter', { inQuickInput: true }).catch(() => Infinity);
  return entersAfter > entersBefore;
}

/** Opens the palette (F1) and runs the command titled `title`. */
async function runFromPalette(page: Page, title: string, deadline: number): Promise<void> {
  const row = `.quick-input-list .monaco-list-row.focused[aria-label*="${title}"]`;
  for (;;) {
    await readyQuickInput(page, 'the command palette', (text) => text.startsWith('>'), deadline, 'F1');
    if (await fillAndAccept(page, `>${title}`, row, deadline)) return;
    if (Date.now() > deadline)
      throw new Error(`the palette did not keep '>${title}' within ${QUICK_INPUT_STEP_MS / 1000} s`);
  }
}

/** Checks exactly the item labelled `label` in the multi-select quick pick a command opened, and accepts it. */
async function pickOne(page: Page, label: string, deadline: number): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const row = `.quick-input-widget .quick-input-list .monaco-list-row[aria-label*="${label}"]`;
  // The palette and the picker share the widget: the picker's filter starts empty, the palette's with `>`. No
  // key opens the picker (the command did), so nothing is pressed again.
  await readyQuickInput(page, 'the picker', (text) => text === '', deadline);
  const picked = await fillAndAccept(page, label, row, deadline, async () => {
    await page.locator(row).first().click();
    if (!(await until(() => widget.locator('.quick-input-count', { hasText: '1 Selected' }).isVisible(), deadline)))
      throw new Error(`'${label}' was not checked`);
  });
  if (!picked) throw new Error(`the picker closed before it took '${label}'`);
}

/** Accepts the item labelled `label` in the single-select quick pick a command opened: filtered to, it is focused. */
async function chooseOne(page: Page, label: string, deadline: number): Promise<void> {
  const row = `.quick-input-widget .quick-input-list .monaco-list-row.focused[aria-label*="${label}"]`;
  await readyQuickInput(page, 'the picker', (text) => text === '', deadline);
  if (!(await fillAndAccept(page, label, row, deadline)))
    throw new Error(`the picker closed before it took '${label}'`);
}

/**
 * Replaces the text of the input box titled exactly `title` (a command opened it, with a value of its own) by `value`
 * and accepts it: accepted, the box of that title is gone (closed, or the command's next input shows instead).
 */
async function enterValue(page: Page, title: string, value: string, deadline: number): Promise<void> {
  const exactly = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const titled = page.locator('.quick-input-widget .quick-input-title', { hasText: exactly });
  const box = page.locator(QUICK_INPUT_BOX);
  const shown = async () => (await titled.isVisible()) && (await box.isVisible());
  if (!(await until(shown, deadline))) throw new Error(`no input box titled '${title}' was shown`);
  const holdsValue = async () => (await box.inputValue()) === value;
  for (;;) {
    await box.fill(value, { timeout: Math.min(Math.max(deadline - Date.now(), 1), 10_000) }).catch(() => undefined);
    if (await holdsValue().catch(() => false)) break;
    if (Date.now() > deadline) throw new Error(`the input box '${title}' did not keep '${value}'`);
  }
  await box.press('Enter');
  if (!(await until(async () => !(await titled.isVisible()), deadline)))
    throw new Error(`'${value}' was not accepted in '${title}'`);
}

export function workbenchUrl(
  port: number,
  options: Pick<HostRunOptions, 'extensionPath' | 'testsPath' | 'workspacePath'>,
): string {
  const remote = (path: string) => `vscode-remote://127.0.0.1:${port}${path}`;
  const payload = [
    ['extensionDevelopmentPath', remote(options.extensionPath)],
    ['extensionTestsPath', remote(options.testsPath)],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  const query = new URLSearchParams({
    ...(options.workspacePath ? { folder: options.workspacePath } : {}),
    payload: JSON.stringify(payload),
  });
  return `http://127.0.0.1:${port}/?${query}`;
}

async function waitForHealthy(port: number, serverExit: Promise<string>, onLog: (line: string) => void): Promise<void> {
  let stopped: string | undefined;
  void serverExit.then((why) => (stopped = why));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (stopped) throw new Error(`code-server exited before it was ready: ${stopped}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) {
        onLog(`[e2e] code-server is ready on 127.0.0.1:${port}`);
        return;
      }
    } catch {
      // Not listening yet.
    }
    await delay(250);
  }
  throw new Error('code-server did not answer /healthz within 60 s');
}

function exitOf(child: ChildProcess): Promise<string> {
  return new Promise((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit(signal ? `signal ${signal}` : `exit code ${code}`));
    child.once('error', (error) => resolveExit(error.message));
  });
}

/** Stops code-server and the extension hosts it spawned (its process group), then waits for it. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms).unref());
}
