import { chooseRunner, SERVE_ENGINES, startServer, type Device, type ServeEngine } from '../../core/train/jobs';
import { formatRunnerEvent } from '../../core/train/runner';
import type { CliCommand } from './index';
import { numberOption, parseCommandLine, usageProblem } from '../grammar';

const USAGE = `usage: rollout serve --model DIR [--base-model PATH_OR_ID] [--name NAME] [--port N] [--device auto|cuda|cpu] [--docker-image IMG [--no-gpus]]
       [--engine auto|bundled|vllm] [--verbose]

Serves base model + adapter (a \`rollout train\` output folder) as OpenAI-compatible chat completions
with tool calls, and prints the policy string for \`rollout run --policy\`. Ctrl-C stops it. --verbose shows the
server's own log. --engine: vLLM when it is installed and a GPU is there (auto), or the bundled server.`;

export const serveCommand: CliCommand = {
  summary: 'serve a trained adapter as an OpenAI-compatible endpoint and print its policy string',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'serve',
        usage: USAGE,
        required: ['model'],
        options: {
          model: { type: 'string' },
          'base-model': { type: 'string' },
          name: { type: 'string' },
          port: { type: 'string' },
          device: { type: 'string' },
          engine: { type: 'string' },
          'docker-image': { type: 'string' },
          'no-gpus': { type: 'boolean' },
          verbose: { type: 'boolean' },
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const port = numberOption('port', values.port, { integer: true, min: 0 }) ?? 0;
    if (port > 65535) return usageProblem('serve', USAGE, `--port: expected a port number, got '${values.port}'`);
    if (values.engine !== undefined && !(SERVE_ENGINES as readonly string[]).includes(values.engine))
      return usageProblem('serve', USAGE, `--engine must be ${SERVE_ENGINES.join(', ')}, not ${values.engine}`);
    const runner = await chooseRunner({
      dockerImage: values['docker-image'],
      gpus: values['no-gpus'] ? false : undefined,
      onLog: (line) => console.error(line),
    });
    const log: string[] = [];
    let server;
    try {
      server = await startServer(
        runner,
        {
          model: values.model,
          baseModel: values['base-model'],
          name: values.name,
          port,
          device: values.device as Device | undefined,
          engine: values.engine as ServeEngine | undefined,
        },
        { onLog: (line) => (values.verbose ? console.error(line) : log.push(line)) },
      );
    } catch (error) {
      console.error(log.slice(-20).join('\n'));
      console.error(`rollout serve: ${(error as Error).message}`);
      return 1;
    }
    const ready = server.readyEvent;
    if (ready.event === 'serving') {
      console.error(`${formatRunnerEvent(ready)}\nuse it with: rollout run --policy ${ready.policy} …`);
      console.log(ready.policy);
    }
    const stop = () => void server.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const outcome = await server.exited;
    return outcome.exitCode === 0 || outcome.cancelled ? 0 : outcome.exitCode;
  },
};
