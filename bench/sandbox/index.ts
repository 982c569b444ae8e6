/**
 * Sandbox speed, measured against baselines in the same run:
 * create→ready with a cached image; exec round trip against a bare Engine-API exec and the `docker exec` CLI
 * on the same container; 8 sandboxes in parallel against 8 in sequence. The last line is one JSON object.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerSandbox } from '../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../src/core/sandbox/engine';
import { imageForProfile } from '../../src/core/sandbox/images';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** An exec with nothing around it: create, start attached, read to the end, inspect. */
async function bareApiExec(containerId: string): Promise<void> {
  const docker = dockerClient();
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  stream.resume();
  await new Promise((resolve) => stream.on('end', resolve));
  await exec.inspect();
}

async function main(): Promise<void> {
  const image = imageForProfile('python');
  const repo = mkdtempSync(join(tmpdir(), 'rollout-bench-'));
  writeFileSync(join(repo, 'main.py'), 'print("hi")\n');
  const spec = { image, repo: { location: repo } };
  await (await DockerSandbox.create(spec)).destroy(); // warm the checkout cache and the reaper

  const ready: number[] = [];
  for (let round = 0; round < Math.min(ROUNDS, 20); round++) {
    let sandbox: DockerSandbox | undefined;
    ready.push(await timed(async () => (sandbox = await DockerSandbox.create(spec))));
    await sandbox?.destroy();
  }
  console.log(`create→ready: p50 ${percentile(ready, 50).toFixed(0)} ms, p95 ${percentile(ready, 95).toFixed(0)} ms`);

  const sandbox = await DockerSandbox.create(spec);
  const ours: number[] = [];
  const bare: number[] = [];
  const cli: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved so that drift in the machine's load hits every variant alike.
    ours.push(await timed(() => sandbox.exec('true')));
    bare.push(await timed(() => bareApiExec(sandbox.containerId)));
    cli.push(await timed(async () => execFileSync('docker', ['exec', sandbox.containerId, 'true'])));
  }
  await sandbox.destroy();
  const [oursP50, bareP50, cliP50] = [ours, bare, cli].map((samples) => percentile(samples, 50));
  console.log(
    `exec round trip p50: sandbox ${oursP50.toFixed(1)} ms, bare API ${bareP50.toFixed(1)} ms, docker exec CLI ${cliP50.toFixed(1)} ms`,
  );

  const lifecycle = async () => {
    const box = await DockerSandbox.create(spec);
    await box.exec('python3 main.py');
    await box.destroy();
  };
  const sequentialMs = await timed(async () => {
    for (let index = 0; index < 8; index++) await lifecycle();
  });
  const parallelMs = await timed(() => Promise.all(Array.from({ length: 8 }, lifecycle)));
  console.log(
    `8 sandboxes (create, exec, destroy): sequential ${sequentialMs.toFixed(0)} ms, parallel ${parallelMs.toFixed(0)} ms`,
  );

  console.log(
    JSON.stringify({
      ready_p50_ms: Math.round(percentile(ready, 50)),
      ready_p95_ms: Math.round(percentile(ready, 95)),
      exec_p50_ms: Number(oursP50.toFixed(1)),
      bare_api_exec_p50_ms: Number(bareP50.toFixed(1)),
      cli_exec_p50_ms: Number(cliP50.toFixed(1)),
      exec_ratio_vs_api: Number((oursP50 / bareP50).toFixed(2)),
      exec_ratio_vs_cli: Number((oursP50 / cliP50).toFixed(2)),
      parallel8_ms: Math.round(parallelMs),
      sequential8_ms: Math.round(sequentialMs),
      parallel_speedup: Number((sequentialMs / parallelMs).toFixed(2)),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
