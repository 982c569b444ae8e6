/**
 * The log parsers that defer to a benchmark's own harness, run in the user's Python: for each, the check a run makes
 * before it starts a task (the harness is there and has the task's parser), how a test output's texts are read
 * there before grading, and which harness read them (part of an evaluation's cache key).
 */

import type { Task } from '../task/task';
import type { HarnessIdentity } from './harnessProcess';
import type { LogParserName } from './logParsers/index';
import { HARNESS_LOG_PARSER, installedHarness, readWithHarness, requireHarnessParser } from './multiSweBenchHarness';
import {
  asSweRebenchV2Output,
  installedV2Harness,
  readWithV2Harness,
  requireV2Parser,
  sweRebenchV2Log,
  SWE_REBENCH_V2_LOG_PARSER,
} from './sweRebenchV2Harness';
import type { HarnessReadings } from './testStatus';

interface HarnessReader {
  /** Throws, naming what to do, unless the harness can read the task's logs. */
  require(task: Task): Promise<void>;
  /** What the harness reads in a test output's texts (between its markers, and whole). */
  read(task: Task, texts: { between: string; whole: string }): Promise<HarnessReadings>;
  installed(): Promise<{ identity: HarnessIdentity }>;
  /** A test runner's own log (`rollout grade --raw`) as it stands in a test output for this harness. */
  rawLog(log: string): string;
}

const READERS = new Map<LogParserName, HarnessReader>([
  [
    HARNESS_LOG_PARSER,
    {
      require: requireHarnessParser,
      read: (task, texts) => readWithHarness(task, [texts.between, texts.whole]),
      installed: installedHarness,
      rawLog: (log) => log,
    },
  ],
  [
    SWE_REBENCH_V2_LOG_PARSER,
    {
      require: requireV2Parser,
      // The harness's log is inside the test command's output; without its markers there is nothing to read.
      read: async (task, texts) => {
        const log = sweRebenchV2Log(texts.between);
        return log === undefined ? new Map() : readWithV2Harness(task, [log]);
      },
      installed: installedV2Harness,
      // The harness's own log (its logs/<id>_log.txt), which its parsers read whole.
      rawLog: asSweRebenchV2Output,
    },
  ],
]);

/** The harness `logParser` defers to, if it is one that does. */
export function harnessReaderOf(logParser: LogParserName | undefined): HarnessReader | undefined {
  return logParser === undefined ? undefined : READERS.get(logParser);
}
