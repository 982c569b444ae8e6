/**
 * Fault figures at full size. Fuzzing: every input format the project reads (task files, task folders, our run
 * logs, cut logs, the four imported trajectory formats), 10,000 generated inputs each (`BENCH_FUZZ_RUNS`), from a
 * seed printed with the figures (`BENCH_SEED` to replay one). Each input must load, or be refused with an error
 * naming its file and line; the first that breaks this stops the bench with fast-check's smallest failing input.
 * The last line is one JSON object.
 */
import { fuzzFormat, fuzzFormats, type FuzzFigures } from '../../test/faults/fuzz/inputFormats';

const RUNS = Number(process.env.BENCH_FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.BENCH_SEED ?? Date.now() % 2 ** 31);

async function main(): Promise<void> {
  const fuzzing: (FuzzFigures & { seconds: number })[] = [];
  for (const format of fuzzFormats()) {
    const started = performance.now();
    const figures = await fuzzFormat(format, { runs: RUNS, seed: SEED });
    fuzzing.push({ ...figures, seconds: Number(((performance.now() - started) / 1000).toFixed(1)) });
    console.log(
      `${format.name.padEnd(32)} ${figures.inputs} inputs: ${figures.loaded} loaded, ${figures.rejected} refused with a named error, 0 uncaught, 0 hangs`,
    );
  }
  console.log(JSON.stringify({ seed: SEED, fuzzing, uncaught: 0, hangs: 0 }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
