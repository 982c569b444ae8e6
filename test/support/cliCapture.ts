import type { CliCommand } from '../../src/cli/commands/index';

/** Runs a CLI command in this process and returns its exit code and what it printed to stdout and stderr. */
export async function runCaptured(
  command: CliCommand,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => err.push(parts.join(' '));
  try {
    return { code: await command.run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}
