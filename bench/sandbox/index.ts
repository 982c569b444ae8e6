/**
 * Sandbox speed, measured against baselines in the same run:
 * - create→ready with a cached image: a profile image with a repository copied in, and an instance image that
 *   holds the repository already (laid out as the SWE-bench harness lays out its images; nothing is copied),
 *   against a bare Engine-API create and start of the same instance image (the engine's own floor);
 * - exec round trip against a bare Engine-API exec, a bare exec of the wrapper's one program (`bash -c true`)
 *   and the `docker exec` CLI, on the same container; and our exec of the same command started as an exec of the
 *   engine's own (as a command started while another runs in the same sandbox is) instead of on the sandbox's
 *   long-lived runner;
 * - a file read and write of the sandbox against the same through the Engine's archive API;
 * - what the machine's load does not change: Engine API requests per start and per exec, and the CPU time per
 *   exec of this process and of the container's processes, each beside its bare counterpart;
 * - 8 sandboxes in parallel against 8 in sequence, and the same for bare Engine-API containers, which is
 *   the most the engine itself allows; and the machine's CPU time that the 8 in sequence take (the engine must be
 *   local), which bounds any parallel gain: a parallel run cannot keep more than all of the cores busy; and how
 *   many cores the parallel run keeps busy (all of them: nothing makes it wait);
 * - the machine's own parallel gain for work that shares nothing (arithmetic, process starts): the cores of a
 *   virtual machine may share physical cores, and then no parallel run gains what their count promises.
 * The last line is one JSON object.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import * as tar from 'tar-stream';
import { DockerSandbox, execArgv } from '../../src/core/sandbox/dockerSandbox';
import { Engine } from '../../src/core/sandbox/engine';
import { imageForProfile } from '../../src/core/sandbox/images';
import { packedBytes } from '../../src/core/sandbox/tarball';
import type { SandboxSpec } from '../../src/core/sandbox/sandbox';
import { SWE_BENCH_ACTIVATION } from '../../src/core/task/instanceImages';
import { bareExec } from '../../test/support/containerProcesses';
import { engineRequestsDuring } from '../../test/support/engineRequests';
import { buildInstanceImage, removeImage } from '../../test/support/instanceImage';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const REPO = join(process.cwd(), 'tasks', 'examples', 'bytesize__bytesize-22', 'repo');

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
async function bareApiExec(containerId: string, cmd: string[]): Promise<void> {
  const exec = await Engine.at()
    .docker.getContainer(containerId)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  stream.resume();
  await new Promise((resolve) => stream.on('end', resolve));
  await exec.inspect();
}

// A container without a network as the engine starts one fastest: with networking disabled outright, the engine
// adds no network hook (a copy of itself that the runtime starts) to its start, as it does for our sandboxes.
const BARE_NO_NETWORK = { NetworkDisabled: true, HostConfig: { NetworkMode: 'none', Init: true } };

/** A container of `image` created and started with nothing of ours around it (the engine's floor for a start). */
async function bareStart(image: string): Promise<Docker.Container> {
  const container = await Engine.at().docker.createContainer({
    Image: image,
    Entrypoint: ['sleep', 'infinity'],
    Cmd: [],
    ...BARE_NO_NETWORK,
  });
  await container.start();
  return container;
}

/** The whole machine's CPU time so far, busy and in all, in ms (the first line of /proc/stat, in 10 ms ticks). */
function machineCpuMs(): { busy: number; total: number } {
  const ticks = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy * 10, total: (busy + idle + iowait) * 10 };
}

/** The machine's busy CPU time while `fn` runs (ms) and how many of its cores that kept busy on average. */
async function machineCpuDuring(fn: () => Promise<unknown>): Promise<{ busyMs: number; busyCores: number }> {
  const before = machineCpuMs();
  await fn();
  const after = machineCpuMs();
  const busyMs = after.busy - before.busy;
  return { busyMs, busyCores: (availableParallelism() * busyMs) / (after.total - before.total) };
}

// Work that needs nothing from the others but cores: a loop of arithmetic, and a loop of process starts.
const INDEPENDENT_WORK = {
  computation: [process.execPath, '-e', 'let sum = 0; for (let i = 0; i < 2e8; i++) sum += i;'],
  processStarts: ['bash', '-c', 'for i in $(seq 300); do /bin/true; done'],
};

const execFileDone = promisify(execFile);

/**
 * How much faster `cores` copies of a work finish together than one after another (the time of one, times
 * `cores`; the median of three rounds): what the machine's cores give any work that runs on all of them at once.
 * Cores that share a physical core, or a host that does not run them all at once, give less than `cores`.
 */
async function machineParallelSpeedup(argv: string[], cores: number): Promise<number> {
  const run = () => execFileDone(argv[0], argv.slice(1));
  await run();
  const gains: number[] = [];
  for (let round = 0; round < 3; round++) {
    const one = await timed(run);
    const together = await timed(() => Promise.all(Array.from({ length: cores }, run)));
    gains.push((cores * one) / together);
  }
  return percentile(gains, 50);
}

/** This process's CPU time (user and system) that `fn` takes, in ms. */
async function cpuMs(fn: () => Promise<unknown>): Promise<number> {
  const started = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

/** The CPU time (ms) that the container's processes have used so far, from its own cgroup (v1 cpuacct or v2 cpu). */
async function containerCpuMs(containerId: string): Promise<number> {
  const [unit, value] = (
    await bareExec(containerId, [
      'bash',
      '-c',
      'if [ -e /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then echo ns $(</sys/fs/cgroup/cpuacct/cpuacct.usage); else echo us $(sed -n "s/^usage_usec //p" /sys/fs/cgroup/cpu.stat); fi',
    ])
  )
    .trim()
    .split(' ');
  return Number(value) / (unit === 'ns' ? 1e6 : 1e3);
}

/** The container's CPU time per call of `fn` (ms), over `rounds` calls in a row. */
async function containerCpuPerCall(containerId: string, rounds: number, fn: () => Promise<unknown>): Promise<number> {
  const before = await containerCpuMs(containerId);
  for (let round = 0; round < rounds; round++) await fn();
  return ((await containerCpuMs(containerId)) - before) / rounds;
}

/** A container with nothing of ours around it: create, start, one exec, remove. */
async function bareLifecycle(image: string): Promise<void> {
  const docker = Engine.at().docker;
  const container = await docker.createContainer({ Image: image, Cmd: ['sleep', 'infinity'], ...BARE_NO_NETWORK });
  await container.start();
  await bareApiExec(container.id, ['python3', '-c', 'print("hi")']);
  await container.remove({ force: true });
}

/** A file read through the Engine's archive API: the tar that holds it, read to its end (left unparsed). */
async function archiveRead(container: Docker.Container, path: string): Promise<void> {
  const stream = await container.getArchive({ path });
  stream.resume();
  await new Promise((resolve) => stream.on('end', resolve));
}

/** A tar of one file, as a write through the Engine's archive API puts it (packed before any timing). */
async function oneFileTar(name: string, content: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name, mode: 0o644, uid: 1000, gid: 1000 }, content);
  const bytes = packedBytes(pack);
  pack.finalize();
  return bytes;
}

/**
 * A sandbox whose runner a long command keeps busy, so that its next commands start as execs of their own (as one
 * started while another runs does); checked, since the bench's figure is named for it.
 */
async function sandboxWithBusyRunner(spec: SandboxSpec): Promise<{ sandbox: DockerSandbox; release(): Promise<void> }> {
  const sandbox = await DockerSandbox.create(spec);
  const holding = new AbortController();
  const holder = sandbox.exec('sleep 3600', { signal: holding.signal, timeoutMs: 3_600_000 }).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const parent = (await sandbox.exec('head -c 14 /proc/$PPID/cmdline | tr "\\0" " "')).stdout;
  if (parent === 'bash -c set -m') throw new Error("the held sandbox's command ran on its runner, not as an exec");
  return {
    sandbox,
    release: async () => {
      holding.abort();
      await holder;
      await sandbox.destroy();
    },
  };
}

async function readyTimes(spec: SandboxSpec, rounds: number): Promise<number[]> {
  await (await DockerSandbox.create(spec)).destroy(); // warm the checkout cache, the image cache and the reaper
  const ready: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let sandbox: DockerSandbox | undefined;
    ready.push(await timed(async () => (sandbox = await DockerSandbox.create(spec))));
    await sandbox?.destroy();
  }
  return ready;
}

async function main(): Promise<void> {
  const image = imageForProfile('python');
  const tiny = mkdtempSync(join(tmpdir(), 'rollout-bench-'));
  writeFileSync(join(tiny, 'main.py'), 'print("hi")\n');
  const spec = { image, repo: { location: tiny } };
  const instanceImage = `rollout-studio-bench/sweb.eval.x86_64.bytesize_1776_bytesize-22:${randomBytes(4).toString('hex')}`;
  buildInstanceImage(instanceImage, REPO, image);
  try {
    const readyRounds = Math.min(ROUNDS, 20);
    // Interleaving would share warm caches unevenly; each variant runs its rounds back to back instead.
    const ready = await readyTimes(spec, readyRounds);
    const copied = await readyTimes({ image, repo: { location: REPO } }, readyRounds);
    const instanceSpec = { image: instanceImage, workdir: '/testbed', instance: { activate: SWE_BENCH_ACTIVATION } };
    const instance = await readyTimes(instanceSpec, readyRounds);
    const bareReady: number[] = [];
    for (let round = 0; round < readyRounds; round++) {
      let container: Docker.Container | undefined;
      bareReady.push(await timed(async () => (container = await bareStart(instanceImage))));
      await container?.remove({ force: true });
    }
    console.log(
      `create→ready p50: ${percentile(ready, 50).toFixed(0)} ms (one-file repository copied in), ${percentile(copied, 50).toFixed(0)} ms (bytesize repository copied in), ${percentile(instance, 50).toFixed(0)} ms (instance image holding it, p95 ${percentile(instance, 95).toFixed(0)} ms); bare Engine-API create and start of the instance image ${percentile(bareReady, 50).toFixed(0)} ms`,
    );
    let instanceSandbox: DockerSandbox | undefined;
    const instanceStartRequests = await engineRequestsDuring(async () => {
      instanceSandbox = await DockerSandbox.create(instanceSpec);
    });
    await instanceSandbox?.destroy();
    let bareContainer: Docker.Container | undefined;
    const bareStartRequests = await engineRequestsDuring(async () => (bareContainer = await bareStart(instanceImage)));
    await bareContainer?.remove({ force: true });

    const sandbox = await DockerSandbox.create(spec);
    const held = await sandboxWithBusyRunner(spec);
    const samples = {
      ours: [] as number[],
      bare: [] as number[],
      wrapper: [] as number[],
      wrapped: [] as number[],
      ownExec: [] as number[],
      cli: [] as number[],
      read: [] as number[],
      archiveRead: [] as number[],
      write: [] as number[],
      archiveWrite: [] as number[],
    };
    const container = Engine.at().docker.getContainer(sandbox.containerId);
    const written = Buffer.from('x = 1\n'.repeat(500));
    const writtenTar = await oneFileTar('written.py', written);
    await sandbox.exec('true'); // starts the runner, once per sandbox and user
    await sandbox.readFile('main.py'); // and root's, which reads and writes files
    const cpu = { ours: 0, bare: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved so that drift in the machine's load hits every variant alike.
      cpu.ours += await cpuMs(async () => samples.ours.push(await timed(() => sandbox.exec('true'))));
      cpu.bare += await cpuMs(async () =>
        samples.bare.push(await timed(() => bareApiExec(sandbox.containerId, ['true']))),
      );
      samples.wrapper.push(await timed(() => bareApiExec(sandbox.containerId, ['bash', '-c', 'true'])));
      // Our exec's own program with nothing of ours around it on the host: the rest of ours is the host's share.
      samples.wrapped.push(await timed(() => bareApiExec(sandbox.containerId, execArgv('true'))));
      samples.ownExec.push(await timed(() => held.sandbox.exec('true')));
      samples.cli.push(await timed(async () => execFileSync('docker', ['exec', sandbox.containerId, 'true'])));
      samples.read.push(await timed(() => sandbox.readFile('main.py')));
      samples.archiveRead.push(await timed(() => archiveRead(container, `${sandbox.workdir}/main.py`)));
      samples.write.push(await timed(() => sandbox.writeFile('written.py', written)));
      samples.archiveWrite.push(await timed(() => container.putArchive(writtenTar, { path: sandbox.workdir })));
    }
    await held.release();
    // In the container, where the wrapper runs: the engine's own exec machinery (runc) counts in both.
    const containerCpu = {
      ours: await containerCpuPerCall(sandbox.containerId, ROUNDS, () => sandbox.exec('true')),
      bare: await containerCpuPerCall(sandbox.containerId, ROUNDS, () => bareApiExec(sandbox.containerId, ['true'])),
      wrapperProgram: await containerCpuPerCall(sandbox.containerId, ROUNDS, () =>
        bareApiExec(sandbox.containerId, ['bash', '-c', 'true']),
      ),
      wrapped: await containerCpuPerCall(sandbox.containerId, ROUNDS, () =>
        bareApiExec(sandbox.containerId, execArgv('true')),
      ),
    };
    const execRequests = await engineRequestsDuring(() => sandbox.exec('true'));
    const bareExecRequests = await engineRequestsDuring(() => bareApiExec(sandbox.containerId, ['true']));
    await sandbox.destroy();
    const [oursP50, bareP50, wrapperP50, wrappedP50, ownExecP50, cliP50] = [
      samples.ours,
      samples.bare,
      samples.wrapper,
      samples.wrapped,
      samples.ownExec,
      samples.cli,
    ].map((list) => percentile(list, 50));
    console.log(
      `exec round trip p50: sandbox ${oursP50.toFixed(1)} ms, bare API ${bareP50.toFixed(1)} ms, bare API of the wrapper's program (bash -c true) ${wrapperP50.toFixed(1)} ms, bare API of the whole wrapped command ${wrappedP50.toFixed(1)} ms, ours as an exec of its own ${ownExecP50.toFixed(1)} ms, docker exec CLI ${cliP50.toFixed(1)} ms`,
    );

    const [readP50, archiveReadP50, writeP50, archiveWriteP50] = [
      samples.read,
      samples.archiveRead,
      samples.write,
      samples.archiveWrite,
    ].map((list) => percentile(list, 50));
    console.log(
      `file p50: read ${readP50.toFixed(1)} ms (archive API ${archiveReadP50.toFixed(1)} ms), write of ${written.length} bytes ${writeP50.toFixed(1)} ms (archive API ${archiveWriteP50.toFixed(1)} ms)`,
    );

    console.log(
      `load-independent: Engine API requests per instance start ${instanceStartRequests.length} (bare create and start ${bareStartRequests.length}; ${instanceStartRequests.join(', ')}), per exec ${execRequests.length} (bare ${bareExecRequests.length}); this process's CPU per exec ${(cpu.ours / ROUNDS).toFixed(2)} ms (bare ${(cpu.bare / ROUNDS).toFixed(2)} ms), the container's CPU per exec ${containerCpu.ours.toFixed(2)} ms (bare ${containerCpu.bare.toFixed(2)} ms, bare bash -c true ${containerCpu.wrapperProgram.toFixed(2)} ms, the whole wrapped command by a bare exec ${containerCpu.wrapped.toFixed(2)} ms)`,
    );

    const lifecycle = async () => {
      const box = await DockerSandbox.create(spec);
      await box.exec('python3 main.py');
      await box.destroy();
    };
    let sequentialMs = 0;
    const sequentialCpu = await machineCpuDuring(async () => {
      sequentialMs = await timed(async () => {
        for (let index = 0; index < 8; index++) await lifecycle();
      });
    });
    let parallelMs = 0;
    const parallelCpu = await machineCpuDuring(async () => {
      parallelMs = await timed(() => Promise.all(Array.from({ length: 8 }, lifecycle)));
    });
    let bareSequentialMs = 0;
    const bareSequentialCpu = await machineCpuDuring(async () => {
      bareSequentialMs = await timed(async () => {
        for (let index = 0; index < 8; index++) await bareLifecycle(image);
      });
    });
    const cores = availableParallelism();
    const bareParallelMs = await timed(() => Promise.all(Array.from({ length: 8 }, () => bareLifecycle(image))));
    console.log(
      `8 sandboxes (create, exec, destroy): sequential ${sequentialMs.toFixed(0)} ms, parallel ${parallelMs.toFixed(0)} ms; bare Engine-API containers: sequential ${bareSequentialMs.toFixed(0)} ms, parallel ${bareParallelMs.toFixed(0)} ms`,
    );
    console.log(
      `the machine's CPU in sequence: ${(sequentialCpu.busyMs / 8).toFixed(0)} ms per sandbox, ${sequentialCpu.busyCores.toFixed(2)} of ${cores} cores busy (parallel gains at most ${(cores / sequentialCpu.busyCores).toFixed(2)}×); in parallel ${(parallelCpu.busyMs / 8).toFixed(0)} ms per sandbox, ${parallelCpu.busyCores.toFixed(2)} cores busy; bare ${(bareSequentialCpu.busyMs / 8).toFixed(0)} ms per container, ${bareSequentialCpu.busyCores.toFixed(2)} cores busy (at most ${(cores / bareSequentialCpu.busyCores).toFixed(2)}×)`,
    );

    const machineSpeedup = {
      computation: await machineParallelSpeedup(INDEPENDENT_WORK.computation, cores),
      processStarts: await machineParallelSpeedup(INDEPENDENT_WORK.processStarts, cores),
    };
    console.log(
      `the machine's own parallel gain on ${cores} cores, for work that shares nothing: a loop of arithmetic ${machineSpeedup.computation.toFixed(2)}×, a loop of process starts ${machineSpeedup.processStarts.toFixed(2)}× (${cores}× if the cores were independent)`,
    );

    console.log(
      JSON.stringify({
        ready_p50_ms: Math.round(percentile(ready, 50)),
        ready_p95_ms: Math.round(percentile(ready, 95)),
        copied_repo_ready_p50_ms: Math.round(percentile(copied, 50)),
        instance_ready_p50_ms: Math.round(percentile(instance, 50)),
        instance_ready_p95_ms: Math.round(percentile(instance, 95)),
        bare_instance_ready_p50_ms: Math.round(percentile(bareReady, 50)),
        instance_start_requests: instanceStartRequests.length,
        bare_start_requests: bareStartRequests.length,
        exec_requests: execRequests.length,
        bare_exec_requests: bareExecRequests.length,
        exec_cpu_ms: Number((cpu.ours / ROUNDS).toFixed(2)),
        bare_exec_cpu_ms: Number((cpu.bare / ROUNDS).toFixed(2)),
        exec_container_cpu_ms: Number(containerCpu.ours.toFixed(2)),
        bare_exec_container_cpu_ms: Number(containerCpu.bare.toFixed(2)),
        wrapper_program_exec_container_cpu_ms: Number(containerCpu.wrapperProgram.toFixed(2)),
        wrapped_command_exec_container_cpu_ms: Number(containerCpu.wrapped.toFixed(2)),
        exec_p50_ms: Number(oursP50.toFixed(1)),
        bare_api_exec_p50_ms: Number(bareP50.toFixed(1)),
        wrapper_program_exec_p50_ms: Number(wrapperP50.toFixed(1)),
        wrapped_command_exec_p50_ms: Number(wrappedP50.toFixed(1)),
        own_exec_p50_ms: Number(ownExecP50.toFixed(1)),
        cli_exec_p50_ms: Number(cliP50.toFixed(1)),
        file_read_p50_ms: Number(readP50.toFixed(1)),
        archive_read_p50_ms: Number(archiveReadP50.toFixed(1)),
        file_write_p50_ms: Number(writeP50.toFixed(1)),
        archive_write_p50_ms: Number(archiveWriteP50.toFixed(1)),
        exec_ratio_vs_api: Number((oursP50 / bareP50).toFixed(2)),
        // Against the same command line run by bash through a bare exec: an agent's command is shell text.
        exec_ratio_vs_api_shell: Number((oursP50 / wrapperP50).toFixed(2)),
        exec_ratio_vs_cli: Number((oursP50 / cliP50).toFixed(2)),
        parallel8_ms: Math.round(parallelMs),
        sequential8_ms: Math.round(sequentialMs),
        parallel_speedup: Number((sequentialMs / parallelMs).toFixed(2)),
        bare_parallel_speedup: Number((bareSequentialMs / bareParallelMs).toFixed(2)),
        cores,
        sequential_cpu_ms_per_sandbox: Math.round(sequentialCpu.busyMs / 8),
        sequential_busy_cores: Number(sequentialCpu.busyCores.toFixed(2)),
        parallel_speedup_ceiling: Number((cores / sequentialCpu.busyCores).toFixed(2)),
        // All cores busy in the parallel run: what holds it back is the CPU, not a wait.
        parallel_cpu_ms_per_sandbox: Math.round(parallelCpu.busyMs / 8),
        parallel_busy_cores: Number(parallelCpu.busyCores.toFixed(2)),
        bare_sequential_cpu_ms_per_container: Math.round(bareSequentialCpu.busyMs / 8),
        bare_sequential_busy_cores: Number(bareSequentialCpu.busyCores.toFixed(2)),
        bare_parallel_speedup_ceiling: Number((cores / bareSequentialCpu.busyCores).toFixed(2)),
        // The machine's own: what no sandbox runtime could exceed on it.
        machine_parallel_speedup_computation: Number(machineSpeedup.computation.toFixed(2)),
        machine_parallel_speedup_process_starts: Number(machineSpeedup.processStarts.toFixed(2)),
      }),
    );
  } finally {
    removeImage(instanceImage);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
