import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoctor } from '../../core/sandbox/doctor';
import { DockerSandbox } from '../../core/sandbox/dockerSandbox';
import { imageForProfile } from '../../core/sandbox/images';
import { formatChecks } from './doctor';
import type { CliCommand } from './index';

interface StageResult {
  stage: string;
  ok: boolean;
  seconds: number;
  detail: string;
}

async function stage(name: string, body: () => Promise<string>): Promise<StageResult> {
  console.log(`\n== ${name}`);
  const started = Date.now();
  try {
    const detail = await body();
    return { stage: name, ok: true, seconds: (Date.now() - started) / 1000, detail };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    console.error(`   failed: ${detail}`);
    return { stage: name, ok: false, seconds: (Date.now() - started) / 1000, detail };
  }
}

async function doctorStage(): Promise<string> {
  const checks = await runDoctor();
  console.log(formatChecks(checks));
  const failed = checks.filter((check) => !check.ok);
  if (failed.length) throw new Error(`${failed.length} check(s) failed: ${failed.map((check) => check.name).join(', ')}`);
  return `${checks.length} checks passed`;
}

/** Starts a real sandbox on a throwaway repository, changes it, and shows the diff the recorder would keep. */
async function sandboxSmokeStage(): Promise<string> {
  const repo = mkdtempSync(join(tmpdir(), 'rollout-smoke-'));
  writeFileSync(join(repo, 'greet.py'), 'def greet(name):\n    return "Hello, " + name\n');
  const sandbox = await DockerSandbox.create({ image: imageForProfile('python'), repo: { location: repo } });
  try {
    const run = await sandbox.exec(`python3 -c 'import greet; print(greet.greet("sandbox"))'`);
    console.log(`   exec: exit ${run.exitCode}, stdout ${JSON.stringify(run.stdout.trim())} in ${run.durationMs.toFixed(0)} ms`);
    await sandbox.writeFile('greet.py', 'def greet(name):\n    return f"Hello, {name}!"\n');
    const diff = await sandbox.diff();
    console.log(diff.split('\n').map((line) => `   ${line}`).join('\n'));
    if (run.exitCode !== 0 || !diff.includes('+    return f"Hello, {name}!"')) throw new Error('the sandbox did not run or diff as expected');
    return `exec and diff in container ${sandbox.containerId.slice(0, 12)}`;
  } finally {
    await sandbox.destroy();
    rmSync(repo, { recursive: true, force: true });
  }
}

export const demoCommand: CliCommand = {
  summary: 'the main job: check the set-up and run the pipeline on the bundled example tasks',
  async run() {
    const results = [await stage('doctor', doctorStage), await stage('sandbox smoke run', sandboxSmokeStage)];
    console.log('\n== summary');
    for (const result of results) console.log(`${result.ok ? 'ok  ' : 'FAIL'}  ${result.stage.padEnd(20)} ${result.seconds.toFixed(1).padStart(6)} s  ${result.detail}`);
    return results.every((result) => result.ok) ? 0 : 1;
  },
};
