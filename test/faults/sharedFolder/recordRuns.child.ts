// A `rollout` process as the shared-folder fault needs it: it records ROLLOUT_FAULT_RUNS runs (start, one turn,
// finish) into ROLLOUT_FAULT_OUT, then starts one more, reports `holding`, and stays alive until it is killed.
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import type { RunMetadata } from '../../../src/core/trajectory/types';

const OUT = process.env.ROLLOUT_FAULT_OUT as string;
const NAME = process.env.ROLLOUT_FAULT_NAME as string;
const RUNS = Number(process.env.ROLLOUT_FAULT_RUNS);

function metadata(runId: string): RunMetadata {
  return {
    run_id: runId,
    task_id: `shared__${NAME}`,
    attempt: 0,
    policy: `synthetic:${NAME}`,
    model: { name: 'none', parameters: {} },
    tools: [],
    tool_versions: { 'rollout-studio': 'fault' },
    started_at: new Date().toISOString(),
  };
}

async function main(): Promise<void> {
  for (let n = 0; n < RUNS; n++) {
    const recorder = await TrajectoryRecorder.start(OUT, metadata(`${NAME}-${n}`), { fsync: false });
    await recorder.recordTurn({ messages: [{ role: 'assistant', content: `turn of ${NAME}-${n}` }], observations: [] });
    await recorder.finish({ exit_status: 'submitted', patch: '', reward: null });
  }
  await TrajectoryRecorder.start(OUT, metadata(`${NAME}-held`), { fsync: false });
  process.stdout.write('holding\n');
  setInterval(() => undefined, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
