/** One worker driving several Docker engines: each new sandbox goes to the next engine in turn. */
import type { SandboxFactory } from '../sandbox/sandbox';
import { DockerSandbox } from '../sandbox/dockerSandbox';

/** `hosts` are DOCKER_HOST-style addresses; `undefined` stands for DOCKER_HOST or the local socket. */
export function roundRobinSandboxes(
  hosts: ReadonlyArray<string | undefined>,
  create: SandboxFactory = (spec) => DockerSandbox.create(spec),
): SandboxFactory {
  if (hosts.length === 0) throw new Error('at least one Docker engine is needed');
  let next = 0;
  return (spec) => {
    const dockerHost = hosts[next++ % hosts.length];
    return create(dockerHost === undefined ? spec : { ...spec, dockerHost });
  };
}
