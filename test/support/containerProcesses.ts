/** What runs in a container, as the engine lists it from the host (`docker top`), not as the container reports it. */
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerClient } from '../../src/core/sandbox/engine';

/** The command lines of the container's processes. */
export async function containerCommands(containerId: string): Promise<string[]> {
  const top = (await dockerClient().getContainer(containerId).top()) as { Titles: string[]; Processes: string[][] };
  const column = top.Titles.indexOf('CMD');
  return top.Processes.map((row) => row[column]);
}

/** Waits until the container runs `count` processes whose command line is `command`; the container's id comes later when `containerId` gives none yet. */
export async function waitForCommand(
  containerId: () => Promise<string | undefined> | string | undefined,
  command: string,
  count: number,
  timeoutMs: number,
): Promise<string> {
  let seen: string[] = [];
  for (const started = Date.now(); Date.now() - started < timeoutMs; await sleep(100)) {
    const id = await containerId();
    if (!id) continue;
    seen = await containerCommands(id);
    if (seen.filter((line) => line === command).length === count) return id;
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000} s waiting for ${count} × '${command}' in the container; it ran ${JSON.stringify(seen)}`,
  );
}

/** Runs `cmd` in the container by a bare Engine-API exec (nothing of ours around it) and returns its stdout. */
export async function bareExec(containerId: string, cmd: string[]): Promise<string> {
  const exec = await dockerClient()
    .getContainer(containerId)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => stream.on('end', resolve));
  // Each frame of the attached stream has an 8-byte header; only the reading exec's one line is wanted.
  return Buffer.concat(chunks).subarray(8).toString('utf8');
}
