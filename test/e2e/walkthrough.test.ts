/**
 * A newcomer's first minutes in a real VS Code (code-server 4.100.3 + headless chromium, as in
 * vscode-host.test.ts): the Get Started walkthrough and the palette commands of the CLI's capabilities.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT, runSuiteInVsCode } from './host/codeServerHost';

const SCREENSHOTS = join(PROJECT_ROOT, 'out', 'e2e', 'screenshots-walkthrough');

test('the Get Started walkthrough shows and its Build Sandbox Images button runs the command; Validate Tasks… validates a bundled task in real Docker; Select Policy… sets any policy kind (real VS Code extension host)', async () => {
  const built = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'e2e', 'build-suite.mjs')], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  assert.equal(built.status, 0, `building the e2e suite failed:\n${built.stderr}`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  const workspace = mkdtempSync(join(tmpdir(), 'rollout-e2e-walkthrough-'));
  const output: string[] = [];
  try {
    const result = await runSuiteInVsCode({
      extensionPath: PROJECT_ROOT,
      testsPath: join(PROJECT_ROOT, 'out', 'e2e', 'suite', 'index.js'),
      workspacePath: workspace,
      trusted: true,
      env: { ROLLOUT_E2E_MODE: 'walkthrough', ROLLOUT_E2E_SCREENSHOTS: SCREENSHOTS },
      screenshotDir: SCREENSHOTS,
      // A guard against a hung host, not a speed limit.
      timeoutMs: 10 * 60_000,
      onLog: (line) => {
        output.push(line);
        if (!line.startsWith('[code-server]')) console.log(`  [walkthrough] ${line}`);
      },
    });
    const tail = output.slice(-60).join('\n');
    assert.equal(result.failure, undefined, `the VS Code host failed: ${result.failure}\n${tail}`);
    assert.equal(result.exitCode, 0, `the walkthrough suite failed inside VS Code (exit ${result.exitCode})\n${tail}`);
    assert.ok(
      output.some((line) => /4 passing/.test(line)),
      `mocha did not report the 4 tests passing\n${tail}`,
    );
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});
