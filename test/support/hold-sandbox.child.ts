// A process that starts a sandbox and then waits to be killed: the reaper test kills it with SIGKILL.
import { DockerSandbox } from '../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../src/core/sandbox/images';

DockerSandbox.create({ image: imageForProfile('python'), runId: 'reaper-test' }).then(
  (sandbox) => {
    process.stdout.write(`${sandbox.containerId}\n`);
    setInterval(() => undefined, 60_000);
  },
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
