// A program that runs one command in a sandbox and leaves the sandbox standing: with nothing left to do, it must end
// (an idle command runner does not hold it open). It writes the container's id; the test removes the container.
import { DockerSandbox } from '../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../src/core/sandbox/images';

DockerSandbox.create({ image: imageForProfile('python'), runId: 'idle-runner-test' })
  .then(async (sandbox) => {
    process.stdout.write(`${sandbox.containerId} ${(await sandbox.exec('echo ran')).stdout}`);
  })
  .catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  });
