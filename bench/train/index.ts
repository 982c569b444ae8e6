/**
 * bench/train: trained (non-padding) tokens per second of the runner's `sft` against TRL's
 * SFTTrainer with its default settings, on the same model, data and batch order, in one run
 * (compare_sft.py does the measuring; see its docstring for what is held equal).
 * Targets: ratio >= 1.3 on a GPU (padding-free packing + flash-attention-class kernel), >= 1.0 on CPU.
 * The last line printed is one JSON object.
 *
 *   npm run build && node out/bench/train/index.js [--steps N] [--conversations N] [--hidden N] [--layers N] [--rounds N]
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { detectTorchVariant, ensureVenv, trainerDir } from '../../src/core/train/venv';

async function main(): Promise<number> {
  const trainer = trainerDir();
  const python = await ensureVenv(await detectTorchVariant(), (line) => console.error(line));
  const script = join(dirname(dirname(trainer)), 'bench', 'train', 'compare_sft.py');
  const started = Date.now();
  const stdout: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(python, [script, ...process.argv.slice(2)], {
      env: { ...process.env, PYTHONPATH: trainer },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (/^(device|round|TRL)/.test(line)) console.error(line);
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve(exitCode ?? 1));
  });
  const lastLine = stdout.join('').trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !lastLine.startsWith('{')) {
    console.error(`compare_sft.py failed (exit ${code}): ${stdout.join('')}`);
    return 1;
  }
  const result = JSON.parse(lastLine) as Record<string, unknown> & {
    ratio: number;
    device: string;
    'same_loss_1e-3': boolean;
  };
  const target = result.device === 'cuda' ? 1.3 : 1.0;
  console.log(
    JSON.stringify({
      bench: 'train',
      ...result,
      target,
      meets_target: result.ratio >= target && result['same_loss_1e-3'],
      wall_s: (Date.now() - started) / 1000,
    }),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
