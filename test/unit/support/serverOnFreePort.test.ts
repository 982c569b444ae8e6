import assert from 'node:assert/strict';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startServerOnFreePort } from '../../support/serverOnFreePort';

/** A Node server on PORT that prints its listen error (EADDRINUSE's text included) and exits when the bind fails. */
function nodeServer(port: number): string[] {
  return [
    '-e',
    `require('node:net').createServer().on('error', (e) => { console.error(e.message); process.exit(1); })` +
      `.listen(${port}, '127.0.0.1', () => console.log('listening on ${port}'));`,
  ];
}

test('a server whose port was taken before it bound it is started again on a new port, and counts as started once it says it listens there (real processes, real binds)', async () => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const taken = (squatter.address() as AddressInfo).port;
  const portsGiven: number[] = [];
  try {
    // The first start is pointed at a port another process holds, as when it was taken between probe and bind.
    const server = await startServerOnFreePort({
      name: 'node server',
      command: process.execPath,
      args: (port) => nodeServer(portsGiven.push(port) === 1 ? taken : port),
      listening: (port) => new RegExp(`listening on ${port}\\b`),
    });
    try {
      assert.equal(portsGiven.length, 2, 'one retry');
      assert.equal(server.port, portsGiven[1]);
      await new Promise<void>((resolve, reject) =>
        createConnection(server.port, '127.0.0.1').once('connect', resolve).once('error', reject),
      );
    } finally {
      server.child.kill();
    }
  } finally {
    squatter.close();
  }
});

test('a server that exits for another reason than a taken port is not retried: the error quotes what it printed', async () => {
  let starts = 0;
  await assert.rejects(
    startServerOnFreePort({
      name: 'broken server',
      command: process.execPath,
      args: () => (starts++, ['-e', "console.error('bad configuration line 3'); process.exit(2)"]),
      listening: (port) => new RegExp(`listening on ${port}\\b`),
    }),
    /broken server did not start on port \d+:\nbad configuration line 3/,
  );
  assert.equal(starts, 1);
});
