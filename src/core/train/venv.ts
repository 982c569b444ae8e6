import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { lineSplitter } from './runner';

export type TorchVariant = 'cpu' | 'cuda';

/**
 * The runner's folder (the one holding `rollout_trainer/`): ROLLOUT_TRAINER_DIR, else found by
 * walking up from this bundle (dist/, out/test/…) to the repository's `sandbox/trainer`.
 */
export function trainerDir(): string {
  const override = process.env.ROLLOUT_TRAINER_DIR;
  if (override) return override;
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'sandbox', 'trainer');
    if (existsSync(join(candidate, 'rollout_trainer', '__main__.py'))) return candidate;
  }
  throw new Error(`cannot find sandbox/trainer above ${__dirname}; set ROLLOUT_TRAINER_DIR to the trainer folder`);
}

export function cacheDir(): string {
  return process.env.ROLLOUT_CACHE ?? join(homedir(), '.cache', 'rollout-studio');
}

/** Whether `nvidia-smi -L` finds a GPU on this host (the driver that a GPU container needs comes with it). */
export async function nvidiaGpuPresent(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = spawn('nvidia-smi', ['-L'], { stdio: 'ignore' });
    probe.on('error', () => resolve(false));
    probe.on('close', (code) => resolve(code === 0));
  });
}

/** The GPU build of torch where nvidia-smi finds a GPU, the CPU build otherwise (setup-venv.sh decides the same way). */
export async function detectTorchVariant(): Promise<TorchVariant> {
  return (await nvidiaGpuPresent()) ? 'cuda' : 'cpu';
}

/** The venv folder for a variant: keyed by the pinned requirements, exactly as setup-venv.sh keys it. */
export function venvDir(variant: TorchVariant, trainer = trainerDir()): string {
  const pins = Buffer.concat([
    readFileSync(join(trainer, 'requirements.txt')),
    readFileSync(join(trainer, `requirements-torch-${variant}.txt`)),
  ]);
  const key = createHash('sha256').update(pins).digest('hex').slice(0, 16);
  return join(cacheDir(), `trainer-venv-${variant}-${key}`);
}

/** The venv's python when the venv is complete, null when it must be built. */
export function readyVenvPython(variant: TorchVariant, trainer = trainerDir()): string | null {
  const dir = venvDir(variant, trainer);
  return existsSync(join(dir, '.complete')) ? join(dir, 'bin', 'python') : null;
}

/**
 * Returns the venv's python, building the venv first with setup-venv.sh when the pins changed or it
 * was never built (about a minute from a local wheel store; pip's config or PIP_* variables pick the index).
 */
export async function ensureVenv(
  variant: TorchVariant,
  onLog: (line: string) => void = () => {},
  trainer = trainerDir(),
): Promise<string> {
  const ready = readyVenvPython(variant, trainer);
  if (ready) return ready;
  onLog(
    `building the trainer environment in ${venvDir(variant, trainer)} (once per change of sandbox/trainer/requirements*.txt)`,
  );
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('bash', [join(trainer, 'setup-venv.sh'), '--variant', variant], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = lineSplitter((line) => {
      output.push(line);
      onLog(line);
    });
    child.stdout.on('data', (chunk: Buffer) => lines.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => lines.push(chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      lines.end();
      resolve(exitCode ?? 1);
    });
  });
  const python = readyVenvPython(variant, trainer);
  if (code !== 0 || !python) {
    throw new Error(
      `building the trainer environment failed (setup-venv.sh exit ${code}):\n${output.slice(-15).join('\n')}`,
    );
  }
  return python;
}
