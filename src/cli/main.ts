import { version } from '../../package.json';
import { commandAliases, commandNamed, commands } from './commands/index';
import { UsageError } from './grammar';

function usage(): string {
  return [
    'usage: rollout <command> [options]',
    '       rollout --version',
    '',
    'commands:',
    ...Object.keys(commands).map((name) => {
      const former = Object.keys(commandAliases).filter((alias) => commandAliases[alias] === name);
      return `  ${name}${former.length ? ` (also ${former.join(', ')}, its former name)` : ''}`;
    }),
    '',
    'Run `rollout <command> --help` for its options.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    console.log(version);
    return 0;
  }
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const load = commandNamed(name);
  if (!load) {
    console.error(`rollout: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await load()).run(rest);
  } catch (error) {
    // A value the grammar could not check (a number, a choice) is a usage problem too: exit 2, nothing ran.
    if (!(error instanceof UsageError)) throw error;
    console.error(`rollout ${name}: ${error.message}\n\nRun \`rollout ${name} --help\` for its options.`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`rollout: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
