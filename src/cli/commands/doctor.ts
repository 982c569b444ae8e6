import { parseCommandLine } from '../grammar';
import { runDoctor, type DoctorCheck } from '../../core/sandbox/doctor';
import type { CliCommand } from './index';

export function formatChecks(checks: DoctorCheck[]): string {
  return checks
    .map(
      (check) =>
        `${check.ok ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(16)} ${check.detail}${check.fix ? `\n      fix: ${check.fix}` : ''}`,
    )
    .join('\n');
}

const USAGE = `usage: rollout doctor [--json]

Checks the Docker engine (reachable, its version), the sandbox images, the image builder and disk space, and
prints the exact fix for each problem. Exits 1 when a check fails.

  --json   the checks as JSON`;

export const doctorCommand: CliCommand = {
  summary: 'check the Docker engine, images and disk; print the fix for each problem',
  async run(args) {
    const parsed = parseCommandLine({ command: 'doctor', usage: USAGE, options: { json: { type: 'boolean' } } }, args);
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const checks = await runDoctor();
    console.log(values.json ? JSON.stringify(checks, null, 2) : formatChecks(checks));
    return checks.every((check) => check.ok) ? 0 : 1;
  },
};
