/**
 * bench/train: trained (non-padding) tokens per second of the runner's `sft` against TRL's SFTTrainer twice,
 * with TRL's defaults and with TRL configured as `sft` configures itself, on the same model, data and batch
 * order, in one run (compare_sft.py does the measuring; see its docstring for what is held equal).
 * Targets: on CPU >= 1.0x TRL configured as well (the gain from the method alone), on a GPU >= 1.3x TRL's
 * defaults; both with the same loss (1e-3). The last line printed is one JSON object.
 *
 *   npm run build && node scripts/bench.mjs train [--steps N] [--conversations N] [--hidden N] [--layers N]
 *     [--rounds N]
 *   node scripts/bench.mjs train --gpu [--model Qwen/Qwen2.5-0.5B-Instruct]      (a GPU machine, a real model)
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { detectTorchVariant, ensureVenv, trainerDir } from '../../src/core/train/venv';

/** The real model `--gpu` trains when no --model is given: small enough for any GPU, a real chat template. */
const DEFAULT_GPU_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';

async function main(): Promise<number> {
  const trainer = trainerDir();
  const python = await ensureVenv(await detectTorchVariant(), (line) => console.error(line));
  const script = join(dirname(dirname(trainer)), 'bench', 'train', 'compare_sft.py');
  const args = process.argv.slice(2);
  const gpu = args.includes('--gpu');
  const scriptArgs = args.filter((arg) => arg !== '--gpu');
  if (gpu && !scriptArgs.includes('--model')) scriptArgs.push('--model', DEFAULT_GPU_MODEL);
  const started = Date.now();
  const stdout: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(python, [script, ...scriptArgs], {
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
    ratio_vs_trl_defaults: number;
    ratio_vs_trl_configured: number;
    device: string;
    'same_loss_1e-3': boolean;
  };
  if (gpu && result.device !== 'cuda') {
    console.error('--gpu: torch sees no CUDA GPU in the trainer environment');
    return 1;
  }
  const target =
    result.device === 'cuda'
      ? { against: 'trl_defaults', ratio: 1.3, measured: result.ratio_vs_trl_defaults }
      : { against: 'trl_configured', ratio: 1.0, measured: result.ratio_vs_trl_configured };
  console.log(
    JSON.stringify({
      bench: 'train',
      ...result,
      target,
      meets_target: target.measured >= target.ratio && result['same_loss_1e-3'],
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
