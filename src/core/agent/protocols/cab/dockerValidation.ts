/**
 * CodeAssistBench's Docker validation, for a task that ships a Dockerfile: the image built from it must start
 * a container that runs, with the agent's changes applied to the repository. CodeAssistBench builds the
 * (maintainer-modified) Dockerfile and starts a container with a trivial command, with no further test
 * commands; here the image is the one the agent worked in, and its changes are the repository's. The result
 * goes to the simulated user and the judge; a failure makes the verdict INCORRECT.
 */
import type { SandboxFactory, SandboxSpec } from '../../../sandbox/sandbox';

export interface DockerValidation {
  success: boolean;
  /** What the check printed, for the user and the judge to read. */
  log: string;
}

const PATCH_PATH = '/tmp/rollout-validation.patch';

/** Engine failures propagate (an infrastructure error, never the agent's failure). */
export async function validateInImage(
  createSandbox: SandboxFactory,
  spec: SandboxSpec,
  patch: string,
): Promise<DockerValidation> {
  const sandbox = await createSandbox(spec);
  const log: string[] = [`$ docker run ${spec.image}`];
  try {
    if (patch.trim()) {
      await sandbox.writeFile(PATCH_PATH, patch.endsWith('\n') ? patch : `${patch}\n`);
      const applied = await sandbox.exec(`git apply --whitespace=nowarn ${PATCH_PATH}`, { timeoutMs: 120_000 });
      log.push(
        `$ git apply (the maintainer's changes)  # exit ${applied.exitCode}\n${applied.stdout}${applied.stderr}`,
      );
      if (applied.exitCode !== 0) return { success: false, log: log.join('\n').trim() };
    }
    const started = await sandbox.exec('echo "the container starts and runs commands"', { timeoutMs: 60_000 });
    log.push(`$ echo ...  # exit ${started.exitCode}\n${started.stdout}${started.stderr}`);
    return { success: started.exitCode === 0, log: log.join('\n').trim() };
  } finally {
    await sandbox.destroy().catch(() => undefined);
  }
}
