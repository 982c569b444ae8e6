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
  replay: async () => (await import('./replay')).replayCommand,
  train: async () => (await import('./train')).trainCommand,
  flywheel: async () => (await import('./flywheel')).flywheelCommand,
  serve: async () => (await import('./serve')).serveCommand,
  select: async () => (await import('./select')).selectCommand,
  worker: async () => (await import('./worker')).workerCommand,
  status: async () => (await import('./status')).statusCommand,
  pull: async () => (await import('./pull')).pullCommand,
  report: async () => (await import('./report')).reportCommand,
};
