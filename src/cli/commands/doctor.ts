import { parseArgs } from 'node:util';
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

export const doctorCommand: CliCommand = {
  summary: 'check the Docker engine, images and disk; print the fix for each problem',
  async run(args) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
    const checks = await runDoctor();
    console.log(values.json ? JSON.stringify(checks, null, 2) : formatChecks(checks));
    return checks.every((check) => check.ok) ? 0 : 1;
  },
};
