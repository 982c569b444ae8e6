/** Every `rollout` subcommand: name → one-line summary and the module that runs it. */

export interface CliCommand {
  summary: string;
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

export const commands: Record<string, () => Promise<CliCommand>> = {
  doctor: async () => (await import('./doctor')).doctorCommand,
  images: async () => (await import('./images')).imagesCommand,
  demo: async () => (await import('./demo')).demoCommand,
  export: async () => (await import('./export')).exportCommand,
  import: async () => (await import('./import')).importCommand,
  tasks: async () => (await import('./tasks')).tasksCommand,
  eval: async () => (await import('./eval')).evalCommand,
  grade: async () => (await import('./grade')).gradeCommand,
  validate: async () => (await import('./validate')).validateCommand,
  run: async () => (await import('./run')).runCommand,
  reexecute: async () => (await import('./reexecute')).reexecuteCommand,
  train: async () => (await import('./train')).trainCommand,
  flywheel: async () => (await import('./flywheel')).flywheelCommand,
  serve: async () => (await import('./serve')).serveCommand,
  select: async () => (await import('./select')).selectCommand,
  worker: async () => (await import('./worker')).workerCommand,
  status: async () => (await import('./status')).statusCommand,
  pull: async () => (await import('./pull')).pullCommand,
  report: async () => (await import('./report')).reportCommand,
};

/** Former command names, still accepted: each runs the command it now names (the same command, not a copy). */
export const commandAliases: Record<string, string> = {
  // `replay` also named the `replay:` policy; the command re-executes a recorded run's tool calls.
  replay: 'reexecute',
};

/** The command a name on the command line runs: a command's own name or a former one; undefined for neither. */
export function commandNamed(name: string): (() => Promise<CliCommand>) | undefined {
  const own = Object.hasOwn(commandAliases, name) ? commandAliases[name] : name;
  return Object.hasOwn(commands, own) ? commands[own] : undefined;
}
