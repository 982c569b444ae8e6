/** `cargo test`: `test path::name ... ok|FAILED` (ignored tests are left out, as the harness leaves them). */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^test\s+(\S+)\s+\.\.\.\s+(\w+)$/;

export const parseCargo: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, name, outcome]) =>
    outcome === 'ok' ? [name, 'PASSED'] : outcome === 'FAILED' ? [name, 'FAILED'] : undefined,
  );
