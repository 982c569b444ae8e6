/** `bash`: runs a shell command in the sandbox and reports its output and exit code. */
import { ok, fail, type Tool } from './tool';

export interface BashToolOptions {
  /** Limit for a command that does not ask for its own. */
  defaultTimeoutMs?: number;
  /** The most a command may ask for. */
  maxTimeoutMs?: number;
  /** Bytes kept per stream (default 4 MiB; the sandbox keeps the head only); the toolbox then keeps head and tail. */
  maxOutputBytes?: number;
}

interface BashArgs {
  command: string;
  timeout_seconds?: number;
}

export function bashTool(options: BashToolOptions = {}): Tool {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 120_000;
  const maxTimeoutMs = options.maxTimeoutMs ?? 600_000;
  return {
    name: 'bash',
    description:
      'Run a bash command at the repository root and get its stdout, stderr and exit code. ' +
      'Each call starts a fresh shell: `cd` and exported variables do not carry over (chain with &&). ' +
      'Interactive programs (editors, pagers, prompts) will hang until the timeout.',
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string', minLength: 1, description: 'The command line to run.' },
        timeout_seconds: {
          type: 'integer',
          minimum: 1,
          maximum: Math.floor(maxTimeoutMs / 1000),
          description: `Kill the command after this many seconds (default ${Math.floor(defaultTimeoutMs / 1000)}).`,
        },
      },
      required: ['command'],
      additionalProperties: false,
    },
    async run(args, { sandbox, signal, onOutput }) {
      const { command, timeout_seconds } = args as BashArgs;
      const timeoutMs = timeout_seconds ? timeout_seconds * 1000 : defaultTimeoutMs;
      const result = await sandbox.exec(command, {
        timeoutMs,
        maxOutputBytes: options.maxOutputBytes ?? 4 * 1024 ** 2,
        signal,
        ...(onOutput ? { onOutput: (_stream: 'stdout' | 'stderr', text: string) => onOutput(text) } : {}),
      });
      const observation = formatExecObservation(result);
      return { ...(result.timedOut ? fail(observation) : ok(observation)), exitCode: result.exitCode };
    },
  };
}

/** Exit status first, then whichever streams have content. */
export function formatExecObservation(result: {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
}): string {
  const parts: string[] = [];
  if (result.timedOut) parts.push(`The command timed out and was killed (exit code ${result.exitCode}).`);
  else parts.push(`exit code: ${result.exitCode}`);
  if (result.stdout) parts.push(`stdout:\n${result.stdout.replace(/\n$/, '')}`);
  if (result.stderr) parts.push(`stderr:\n${result.stderr.replace(/\n$/, '')}`);
  if (!result.stdout && !result.stderr) parts.push('(no output)');
  if (result.truncated) parts.push('[output cut at the sandbox limit]');
  return parts.join('\n');
}

/** The exit code an observation written by formatExecObservation reports on its first line; undefined for other text. */
export function execObservationExitCode(output: string): number | undefined {
  const firstLine = output.slice(0, output.indexOf('\n') === -1 ? undefined : output.indexOf('\n'));
  const match =
    /^exit code: (-?\d+)$/.exec(firstLine) ??
    /^The command timed out and was killed \(exit code (-?\d+)\)\.$/.exec(firstLine);
  return match ? Number(match[1]) : undefined;
}
