// Runs the e2e mocha suite (out/e2e/suite/index.js) in desktop VS Code through @vscode/test-electron,
// for contributors who have a display and network: `npm run test:desktop`. It downloads VS Code 1.100.3
// (the version code-server 4.100.3 ships) into .vscode-test/. CI cannot download VS Code and uses the
// code-server harness instead (test/e2e/vscode-host.test.ts); both run the same suite.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const VSCODE_VERSION = '1.100.3';

async function runMode(mode, trusted) {
  const scratch = mkdtempSync(join(tmpdir(), `rollout-desktop-e2e-${mode}-`));
  const workspace = join(scratch, 'workspace');
  const userDataDir = join(scratch, 'user-data');
  mkdirSync(workspace);
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ 'security.workspace.trust.startupPrompt': 'never', 'workbench.startupEditor': 'none' }),
  );
  try {
    await runTests({
      version: VSCODE_VERSION,
      extensionDevelopmentPath: projectRoot,
      extensionTestsPath: join(projectRoot, 'out', 'e2e', 'suite', 'index.js'),
      extensionTestsEnv: { ROLLOUT_E2E_MODE: mode },
      launchArgs: [
        workspace,
        '--disable-extensions',
        `--user-data-dir=${userDataDir}`,
        ...(trusted ? ['--disable-workspace-trust'] : []),
      ],
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

try {
  await runMode('trusted', true);
  await runMode('untrusted', false);
} catch (error) {
  console.error(`e2e suite failed in desktop VS Code: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
