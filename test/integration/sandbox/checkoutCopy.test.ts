import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { InfrastructureError } from '../../../src/core/sandbox/sandbox';
import { startFailureWithInputCut } from '../../support/engineProxy';

function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-copy-test-'));
  mkdirSync(join(dir, 'pkg', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'pkg', 'deep', 'mod.py'), 'VALUE = 1\n');
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho ran\n');
  chmodSync(join(dir, 'run.sh'), 0o755);
  writeFileSync(join(dir, 'blob.bin'), Buffer.from(Array.from({ length: 70_000 }, (_, index) => index % 256)));
  symlinkSync('pkg/deep/mod.py', join(dir, 'link.py'));
  return dir;
}

describe("a checkout copied into a sandbox on its container's standard input (real Docker)", () => {
  let repo: string;

  before(() => {
    repo = makeRepo();
  });

  test('arrives whole: contents, modes, links, owner; nothing is left beside it', async () => {
    const sandbox = await DockerSandbox.create({ image: imageForProfile('python'), repo: { location: repo } });
    try {
      const listed = await sandbox.exec(
        "find . -path ./.git -prune -o -printf '%p %m %U %y %l\\n' | sort && sha256sum blob.bin && ./run.sh && ls -A ..",
      );
      assert.equal(listed.exitCode, 0, listed.stderr);
      const [files, digest, ran, beside] = splitListing(listed.stdout);
      assert.deepEqual(files, [
        '. 755 1000 d ',
        './blob.bin 644 1000 f ',
        './link.py 777 1000 l pkg/deep/mod.py',
        './pkg 755 1000 d ',
        './pkg/deep 755 1000 d ',
        './pkg/deep/mod.py 644 1000 f ',
        './run.sh 755 1000 f ',
      ]);
      const expected = Buffer.from(Array.from({ length: 70_000 }, (_, index) => index % 256));
      assert.equal(digest, `${createHash('sha256').update(expected).digest('hex')}  blob.bin`);
      assert.equal(ran, 'ran');
      assert.deepEqual(beside, ['repo'], 'the archive leaves nothing beside the repository');
    } finally {
      await sandbox.destroy();
    }
  });

  test('an archive cut short on its way in is an infrastructure error saying so, and leaves no container', async () => {
    // The archive's first two entries are folders (the repository's, its .git), one block each with no content: cut
    // after them, tar takes the archive for whole (it needs no end marker), so only the archive's own last entry tells.
    const failure = await startFailureWithInputCut(
      { image: imageForProfile('python'), repo: { location: repo } },
      1024,
    );
    assert.ok(failure instanceof InfrastructureError, `an infrastructure error, not ${String(failure)}`);
    assert.match(
      failure.message,
      /^copying the repository into \S+ failed \(exit 1\): the repository's archive arrived cut short$/,
    );
  });
});

/** The listing's four parts: the file list, the digest line, the script's output and the parent's entries. */
function splitListing(stdout: string): [string[], string, string, string[]] {
  const lines = stdout.trimEnd().split('\n');
  const digestAt = lines.findIndex((line) => line.endsWith('  blob.bin'));
  return [lines.slice(0, digestAt), lines[digestAt], lines[digestAt + 1], lines.slice(digestAt + 2)];
}
