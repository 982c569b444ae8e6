import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseLostError, TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { readRunIndex } from '../../../src/core/trajectory/runIndex';
import { Redactor } from '../../../src/core/trajectory/redact';
import { sampleResult, sampleRun, sampleTurn } from './sampleTrajectory';

// When spawned by the SIGKILL test, this file is the child: it records big turns until it is killed.
const CHILD_OUT = process.env.ROLLOUT_TEST_RECORDER_CHILD_OUT;
if (CHILD_OUT) {
  void (async () => {
    const recorder = await TrajectoryRecorder.start(CHILD_OUT, sampleRun('killed-run'));
    const big = 'x'.repeat(4 << 20);
    for (let index = 0; ; index += 1) {
      await recorder.recordTurn(sampleTurn(index, { output: `${index}:${big}` }));
      process.stdout.write(`turn ${index}\n`);
    }
  })();
} else {
  describe('trajectory recorder', () => {
    test('writes run_started, turns, events and run_finished that read back exactly, and indexes the run', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const recorder = await TrajectoryRecorder.start(out, sampleRun('run-1'));
      const turn0 = await recorder.recordTurn(sampleTurn(0));
      await recorder.recordEvent('compaction', { dropped_turns: 0, tokens_before: 9000, tokens_after: 4000 });
      const turn1 = await recorder.recordTurn(sampleTurn(1));
      const result = await recorder.finish(sampleResult(1));

      const read = await readTrajectoryLog(join(out, 'run-1', 'trajectory.jsonl'));
      assert.deepEqual(read.problems, []);
      assert.equal(read.tornFinalLine, false);
      assert.deepEqual(read.trajectory?.turns, [turn0, turn1]);
      assert.equal(read.trajectory?.events[0].kind, 'compaction');
      assert.equal(read.trajectory?.events[0].after_turn, 1);
      assert.deepEqual(read.trajectory?.result, result);
      assert.equal(result.totals?.turns, 2);
      assert.equal(result.totals?.tokens_in, 1200 + 1300);

      const index = await readRunIndex(out);
      assert.equal(index.length, 1);
      assert.equal(index[0].status, 'submitted');
      assert.equal(index[0].reward, 1);
      assert.equal(index[0].turns, 2);

      appendFileSync(join(out, 'index.jsonl'), '{"run_id":"run-9","sta');
      assert.equal((await readRunIndex(out)).length, 1, 'a torn last index line (killed writer) is ignored');
      appendFileSync(join(out, 'index.jsonl'), '\n{"run_id":"run-10"}\n');
      await assert.rejects(readRunIndex(out), /index\.jsonl:2: not valid JSON/);
    });

    test('a run its gone recorder left "running" in the index reads as its log tells it once the log finished', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      const indexFile = join(out, 'index.jsonl');
      const record = async (runId: string, finish: boolean, patch = sampleResult(1).patch) => {
        const recorder = await TrajectoryRecorder.start(out, sampleRun(runId));
        await recorder.recordTurn(sampleTurn(0));
        const runningIndex = readFileSync(indexFile, 'utf8');
        if (finish) await recorder.finish({ ...sampleResult(1), patch });
        else await recorder.close();
        // As the index stays when the process wrote the log's last line, then could not write the index.
        writeFileSync(indexFile, runningIndex.replaceAll(`"pid":${process.pid}`, `"pid":${gone}`));
      };
      const entryOf = async (runId: string) => (await readRunIndex(out)).find((entry) => entry.run_id === runId);
      await record('finished-run', true);
      let entry = await entryOf('finished-run');
      assert.equal(entry?.status, 'submitted');
      assert.equal(entry?.reward, 1);
      assert.equal(entry?.resolved, true);
      assert.equal(entry?.turns, 1);
      assert.equal(entry?.owner, undefined);
      // Its last line longer than the log's tail that is read first.
      await record('finished-big-patch', true, `${sampleResult(1).patch}${'+x\n'.repeat(40_000)}`);
      assert.equal((await entryOf('finished-big-patch'))?.status, 'submitted');

      await record('unfinished-run', false);
      entry = await entryOf('unfinished-run');
      assert.equal(entry?.status, 'running', 'a log without its last line leaves the run running (interrupted)');
      assert.equal(entry?.owner?.pid, gone);
    });

    test('a turn with no cost (a model without a price) leaves the run total unknown (null), not a partial sum', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const recorder = await TrajectoryRecorder.start(out, sampleRun('run-unpriced'));
      await recorder.recordTurn({ ...sampleTurn(0), cost_usd: 0.02 });
      const unpriced = sampleTurn(1);
      delete unpriced.cost_usd;
      await recorder.recordTurn(unpriced);
      const result = await recorder.finish(sampleResult(1));
      assert.equal(result.totals?.cost_usd, null);
      const read = await readTrajectoryLog(join(out, 'run-unpriced', 'trajectory.jsonl'));
      assert.deepEqual(read.problems, []);
      assert.equal(read.trajectory?.result?.totals?.cost_usd, null);
    });

    test('refuses a turn that breaks the schema, naming the field', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const recorder = await TrajectoryRecorder.start(out, sampleRun('run-bad'));
      const turn = sampleTurn(0);
      const broken = { ...turn, tokens: { input: -1, output: 3 } };
      await assert.rejects(recorder.recordTurn(broken), /\/turn\/tokens\/input: must be >= 0/);
      await assert.rejects(recorder.recordTurn(sampleTurn(3)), /turn index 3 recorded where turn 0 was expected/);
      await recorder.close();
    });

    test('redacts a planted key from env, a registered secret and known key shapes before writing', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const envKey = 'sk-proj-PLANTEDabcdefghijklmnopqrstuvwxyz0123456789';
      const configSecret = 'correct-horse-battery-staple-42';
      const redactor = new Redactor({ env: { OPENAI_API_KEY: envKey, PATH: '/usr/bin', HOME: '/home/me' } });
      // A key pasted into the policy spec must not reach the run metadata or the run index either.
      const run = { ...sampleRun('run-secret'), policy: `openai:gpt-4o-mini?api_key=${envKey}` };
      const recorder = await TrajectoryRecorder.start(out, run, { redactor, secrets: [configSecret] });
      const leaky = [
        `echo $OPENAI_API_KEY -> ${envKey}`,
        `config password is ${configSecret}`,
        'anthropic sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'github ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij',
        'aws AKIAZ3MHALFKQX7NYB2C',
        'curl -H "Authorization: Bearer abcdefghijklmnopqrstuvwxyz123456"',
        'HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEFGH',
        'PATH is /usr/bin and HOME is /home/me',
      ].join('\n');
      await recorder.recordTurn(sampleTurn(0, { command: `cat .env # ${envKey}`, output: leaky }));
      await recorder.finish(sampleResult(0));
      const text =
        readFileSync(join(out, 'run-secret', 'trajectory.jsonl'), 'utf8') +
        readFileSync(join(out, 'index.jsonl'), 'utf8');
      for (const secret of [
        envKey,
        configSecret,
        'sk-ant-api03',
        'ghp_ABCDEF',
        'AKIAZ3MHALFKQX7NYB2C',
        'abcdefghijklmnopqrstuvwxyz123456',
        'hf_abcdef',
      ]) {
        assert.ok(!text.includes(secret), `secret ${secret} leaked into the trajectory`);
      }
      assert.match(text, /Bearer \[REDACTED\]/);
      assert.match(text, /PATH is \/usr\/bin and HOME is \/home\/me/, 'ordinary env values must survive');
      const read = await readTrajectoryLog(join(out, 'run-secret', 'trajectory.jsonl'));
      assert.deepEqual(read.problems, []);
      const args = JSON.parse(read.trajectory!.turns[0].messages[2].tool_calls![0].function.arguments) as {
        command: string;
      };
      assert.equal(args.command, 'cat .env # [REDACTED]', 'tool-call arguments stay valid JSON after redaction');
    });

    test('a registered secret in the work tree is kept out of the diff and the patch, which are marked; such a run is not resumed', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const secret = 'configured-key-7f3a9c2e41d8';
      const recorder = await TrajectoryRecorder.start(out, sampleRun('run-diff-secret'), { secrets: [secret] });
      const leakingDiff = `diff --git a/settings.py b/settings.py\n+API_KEY = "${secret}"\n`;
      const turn = await recorder.recordTurn({ ...sampleTurn(0), diff: leakingDiff });
      assert.equal(turn.secrets_in_diff, true);
      await recorder.close();
      const file = join(out, 'run-diff-secret', 'trajectory.jsonl');
      assert.ok(!readFileSync(file, 'utf8').includes(secret));
      await assert.rejects(
        TrajectoryRecorder.resume(out, 'run-diff-secret'),
        /held a registered secret, so the log keeps that diff redacted/,
      );
      const finishing = await TrajectoryRecorder.start(out, sampleRun('run-patch-secret'), { secrets: [secret] });
      const result = await finishing.finish({ ...sampleResult(1), patch: leakingDiff });
      assert.equal(result.secrets_in_patch, true);
      assert.equal(
        (await readTrajectoryLog(join(out, 'run-patch-secret', 'trajectory.jsonl'))).trajectory?.result
          ?.secrets_in_patch,
        true,
      );
    });

    test("a turn's prompt token ids are left out once redaction took text out of the conversation, a resumed run's too", async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const secret = 'configured-key-7f3a9c2e41d8';
      const options = { redactor: new Redactor({ env: {}, secrets: [secret] }) };
      const withIds = (index: number, output?: string) => ({
        ...sampleTurn(index, { output }),
        prompt_token_ids: [index],
      });
      const recorder = await TrajectoryRecorder.start(out, sampleRun('run-ids'), options);
      const before = await recorder.recordTurn(withIds(0));
      await recorder.recordTurn(withIds(1, `KEY=${secret}`));
      const after = await recorder.recordTurn(withIds(2));
      await recorder.close();
      const { recorder: resumed } = await TrajectoryRecorder.resume(out, 'run-ids', options);
      const afterResume = await resumed.recordTurn(withIds(3));
      await resumed.close();
      assert.deepEqual(before.prompt_token_ids, [0], 'before any redaction');
      assert.deepEqual([after.prompt_token_ids, afterResume.prompt_token_ids], [undefined, undefined]);

      const compacted = await TrajectoryRecorder.start(out, sampleRun('run-summary'), options);
      await compacted.recordTurn(withIds(0));
      await compacted.recordEvent('compaction', { strategy: 'summarize', summary: `The key is ${secret}.` });
      assert.equal((await compacted.recordTurn(withIds(1))).prompt_token_ids, undefined, 'a summary is in the prompt');
      await compacted.close();
    });

    test('reads past malformed lines, reporting each with its line number', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const recorder = await TrajectoryRecorder.start(out, sampleRun('run-2'));
      await recorder.recordTurn(sampleTurn(0));
      await recorder.close();
      const file = join(out, 'run-2', 'trajectory.jsonl');
      appendFileSync(
        file,
        '{"type":"turn","turn":{"index":1,"messages":[],"observations":[],"tokens":{"input":"many","output":1}}}\n',
      );
      appendFileSync(file, 'this is not json\n');
      const good = { ...sampleTurn(1), index: 1 };
      appendFileSync(file, `${JSON.stringify({ type: 'turn', turn: good })}\n`);
      const read = await readTrajectoryLog(file);
      assert.equal(read.problems.length, 2);
      assert.equal(read.problems[0].line, 3);
      assert.match(read.problems[0].message, /invalid turn line: \/turn\/tokens\/input: must be integer/);
      assert.equal(read.problems[1].line, 4);
      assert.match(read.problems[1].message, /not valid JSON/);
      assert.equal(read.trajectory?.turns.length, 2, 'the valid turn after the bad lines is kept');
    });

    test('a torn final line is dropped, and resume continues the log from the last whole turn', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const recorder = await TrajectoryRecorder.start(out, sampleRun('run-3'));
      await recorder.recordTurn(sampleTurn(0));
      await recorder.recordTurn(sampleTurn(1));
      await recorder.close();
      const file = join(out, 'run-3', 'trajectory.jsonl');
      const whole = statSync(file).size;
      appendFileSync(file, `${JSON.stringify({ type: 'turn', turn: sampleTurn(2) })}\n`);
      truncateSync(file, whole + 57);

      const torn = await readTrajectoryLog(file);
      assert.equal(torn.tornFinalLine, true);
      assert.deepEqual(torn.problems, []);
      assert.equal(torn.trajectory?.turns.length, 2);

      const { recorder: resumed, trajectory } = await TrajectoryRecorder.resume(out, 'run-3');
      assert.equal(trajectory.turns.length, 2);
      assert.equal(resumed.turnCount, 2);
      await resumed.recordTurn(sampleTurn(2));
      assert.deepEqual(
        resumed.turnSignals,
        [0, 1, 2].map((index) => sampleTurn(index).signals),
        'the turns recorded before the resume keep their reward signals',
      );
      await resumed.finish(sampleResult(1));
      const read = await readTrajectoryLog(file);
      assert.deepEqual(read.problems, []);
      assert.equal(read.tornFinalLine, false);
      assert.deepEqual(
        read.trajectory?.turns.map((turn) => turn.index),
        [0, 1, 2],
      );
      assert.equal(read.trajectory?.events.at(-1)?.kind, 'resumed');
      assert.equal(read.trajectory?.result?.totals?.turns, 3);
      await assert.rejects(TrajectoryRecorder.resume(out, 'run-3'), /already finished \(submitted\)/);
    });

    test('a cancelled run resumes from its last turn: its run_finished line goes, the resumed event keeps the cancel', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const recorder = await TrajectoryRecorder.start(out, sampleRun('run-c'));
      await recorder.recordTurn(sampleTurn(0));
      await recorder.finish({ ...sampleResult(null, 'cancelled'), error: 'cancelled by the user' });
      const file = join(out, 'run-c', 'trajectory.jsonl');
      const cancelled = await readTrajectoryLog(file);
      assert.equal((await readRunIndex(out))[0].status, 'cancelled');

      const { recorder: resumed, trajectory } = await TrajectoryRecorder.resume(out, 'run-c');
      assert.equal(trajectory.turns.length, 1);
      assert.equal((await readRunIndex(out))[0].status, 'running', 'the index shows the run running again');
      await resumed.recordTurn(sampleTurn(1));
      await resumed.finish(sampleResult(1));
      const read = await readTrajectoryLog(file);
      assert.deepEqual(read.problems, [], 'no line after a run_finished');
      assert.deepEqual(read.trajectory?.turns[0], cancelled.trajectory?.turns[0], 'the turn before the cancel stays');
      assert.equal(read.trajectory?.turns.length, 2);
      const event = read.trajectory?.events.find((candidate) => candidate.kind === 'resumed');
      assert.deepEqual(event?.data, {
        turns_kept: 1,
        torn_line_dropped: false,
        cancelled: { at: cancelled.trajectory?.result?.ended_at, reason: 'cancelled by the user' },
      });
      assert.equal(read.trajectory?.result?.exit_status, 'submitted');
      assert.equal(read.trajectory?.result?.totals?.turns, 2);
    });

    test('a final line cut just before its newline is torn even though it parses, so a resume appends on a line of its own (found by fuzzing)', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      const recorder = await TrajectoryRecorder.start(out, sampleRun('run-4'));
      await recorder.recordTurn(sampleTurn(0));
      await recorder.recordTurn(sampleTurn(1));
      await recorder.close();
      const file = join(out, 'run-4', 'trajectory.jsonl');
      truncateSync(file, statSync(file).size - 1);
      const torn = await readTrajectoryLog(file);
      assert.equal(torn.tornFinalLine, true);
      assert.equal(torn.trajectory?.turns.length, 1);
      const { recorder: resumed } = await TrajectoryRecorder.resume(out, 'run-4');
      await resumed.recordTurn(sampleTurn(1));
      await resumed.finish(sampleResult(1));
      const read = await readTrajectoryLog(file);
      assert.deepEqual(read.problems, []);
      assert.deepEqual(
        read.trajectory?.turns.map((turn) => turn.index),
        [0, 1],
      );
    });

    test('a real child process SIGKILLed mid-run leaves a log readable up to its last finished turn, and resumable', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-kill-'));
      const child = spawn(process.execPath, [__filename], {
        env: { ...process.env, ROLLOUT_TEST_RECORDER_CHILD_OUT: out },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let reported = -1;
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', () => resolve());
        child.stdout.on('data', (chunk: Buffer) => {
          const numbers = [...chunk.toString().matchAll(/turn (\d+)/g)].map((match) => Number(match[1]));
          if (numbers.length) reported = Math.max(reported, ...numbers);
          if (reported >= 3) child.kill('SIGKILL');
        });
      });
      assert.equal(child.signalCode, 'SIGKILL');
      const file = join(out, 'killed-run', 'trajectory.jsonl');
      const read = await readTrajectoryLog(file);
      assert.deepEqual(read.problems, []);
      assert.equal(read.trajectory?.result, undefined);
      const turns = read.trajectory?.turns ?? [];
      assert.ok(turns.length >= reported + 1, `turns ${turns.length} < reported ${reported + 1}`);
      turns.forEach((turn, i) => assert.equal(turn.index, i));

      const { recorder, trajectory } = await TrajectoryRecorder.resume(out, 'killed-run');
      await recorder.recordTurn(sampleTurn(trajectory.turns.length));
      await recorder.finish(sampleResult(0.5));
      const after = await readTrajectoryLog(file);
      assert.deepEqual(after.problems, []);
      assert.equal(after.trajectory?.turns.length, turns.length + 1);
      assert.equal(after.trajectory?.result?.reward?.value, 0.5);
      const index = await readRunIndex(out);
      assert.equal(index[0].status, 'submitted');
    });

    test('refuses unsafe run ids and a second start of the same run', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      await assert.rejects(TrajectoryRecorder.start(out, sampleRun('../escape')), /run id '..\/escape'/);
      const recorder = await TrajectoryRecorder.start(out, sampleRun('once'));
      await recorder.close();
      await assert.rejects(TrajectoryRecorder.start(out, sampleRun('once')), /already exists: resume run 'once'/);
      writeFileSync(join(out, 'empty.txt'), '');
    });

    test('a lease check runs before every line: once it throws LeaseLostError nothing more is written, and the copy hook sees each flushed line in order', async () => {
      const out = mkdtempSync(join(tmpdir(), 'traj-'));
      let leaseHeld = true;
      const copied: number[] = [];
      const recorder = await TrajectoryRecorder.start(out, sampleRun('leased'), {
        beforeWrite: async () => {
          if (!leaseHeld) throw new LeaseLostError('lock taken over');
        },
        afterWrite: async (path) => {
          copied.push(readFileSync(path, 'utf8').split('\n').filter(Boolean).length);
        },
      });
      await recorder.recordTurn(sampleTurn(0));
      leaseHeld = false;
      await assert.rejects(recorder.recordTurn(sampleTurn(1)), LeaseLostError);
      await assert.rejects(recorder.finish(sampleResult(1)), LeaseLostError);
      await recorder.close();
      const read = await readTrajectoryLog(join(out, 'leased', 'trajectory.jsonl'));
      assert.equal(read.trajectory?.turns.length, 1);
      assert.equal(read.trajectory?.result, undefined, 'no closing line after the lease was lost');
      assert.deepEqual(copied, [1, 2]);
      await assert.rejects(
        TrajectoryRecorder.start(out, sampleRun('never'), {
          beforeWrite: () => Promise.reject(new LeaseLostError('gone')),
        }),
        LeaseLostError,
      );
      assert.equal(
        existsSync(join(out, 'never', 'trajectory.jsonl')),
        false,
        'a run whose lease is gone is not even created',
      );
    });
  });
}
