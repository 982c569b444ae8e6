import { Engine } from '../../src/core/sandbox/engine';

type Dial = (options: { method: string; path: string }, ...rest: unknown[]) => unknown;

/**
 * The Engine API requests (method and path; container and exec ids written ID, an image's name NAME) that the
 * default engine's client makes while `action` runs: a count that the machine's load does not change.
 */
export async function engineRequestsDuring(action: () => Promise<unknown>): Promise<string[]> {
  const modem = Engine.at().docker.modem as { dial: Dial };
  const dial = modem.dial;
  const requests: string[] = [];
  modem.dial = (options, ...rest) => {
    const path = options.path
      .split('?')[0]
      .replace(/[0-9a-f]{64}/g, 'ID')
      .replace(/^\/images\/.+\/json$/, '/images/NAME/json');
    requests.push(`${options.method} ${path}`);
    return dial.call(modem, options, ...rest);
  };
  try {
    await action();
  } finally {
    modem.dial = dial;
  }
  return requests;
}
