/**
 * A server process (sshd, redis-server) on a loopback port with no race for the port: it is started on a port the
 * OS has just handed out, and when another process took that port before the server could bind it (the server
 * says "Address already in use" and exits), it is started again on a new one. It counts as started once it
 * prints the line saying it listens on that port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

export interface ServerOnPort {
  child: ChildProcess;
  port: number;
  /** Everything the server has printed (stdout and stderr) so far. */
  output(): string;
}

export interface ServerCommand {
  /** Its name in errors. */
  name: string;
  command: string;
  args: (port: number) => string[];
  /** What it prints once it accepts connections on `port`. */
  listening: (port: number) => RegExp;
}

/** sshd, redis-server and Node quote the OS's EADDRINUSE text when their bind fails, then exit. */
const PORT_TAKEN = /address already in use/i;
const TRIES = 10;
/** A server that neither listens nor exits in this long is stuck; the error then shows what it printed. */
const START_LIMIT_MS = 60_000;

export async function startServerOnFreePort(server: ServerCommand): Promise<ServerOnPort> {
  let output = '';
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    const port = await portJustFreed();
    const started = await startOn(server, port);
    if ('child' in started) return started;
    output = started.output;
    if (!PORT_TAKEN.test(output)) throw new Error(`${server.name} did not start on port ${port}:\n${output}`);
  }
  throw new Error(`${server.name} found its port taken ${TRIES} times in a row:\n${output}`);
}

/** A port nothing listens on now; another process may take it before the server binds it. */
export async function portJustFreed(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function startOn(server: ServerCommand, port: number): Promise<ServerOnPort | { output: string }> {
  const child = spawn(server.command, server.args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listening = server.listening(port);
  return new Promise((resolve, reject) => {
    const stuck = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${server.name} neither listened on port ${port} nor exited:\n${output}`));
    }, START_LIMIT_MS);
    const settle = (result: ServerOnPort | { output: string }) => {
      clearTimeout(stuck);
      resolve(result);
    };
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (listening.test(output)) settle({ child, port, output: () => output });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('error', (error) => settle({ output: `${output}${error.message}` }));
    child.once('close', () => settle({ output }));
  });
}
