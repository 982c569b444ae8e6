import type { ExecResult, Sandbox } from '../../src/core/sandbox/sandbox';

/** A container stand-in for tests of the loop and the rollout: every command succeeds, the work tree never changes. */
export function fakeSandbox(overrides: Partial<Sandbox> = {}): Sandbox {
  const ran: ExecResult = { exitCode: 0, stdout: '', stderr: '', truncated: false, timedOut: false, durationMs: 1 };
  return {
    id: 'fake',
    workdir: '/repo',
    baseCommit: 'base',
    exec: async () => ran,
    readFile: async () => Buffer.from(''),
    writeFile: async () => undefined,
    diff: async () => '',
    snapshot: async () => ({ id: 's' }),
    restore: async () => undefined,
    destroy: async () => undefined,
    ...overrides,
  };
}
