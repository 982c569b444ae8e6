/** The flags that say where tasks run: instance image naming and the Docker engine, shared by run, eval and validate. */
import { checkImageTemplate, type InstanceImageOptions } from '../../core/task/instanceImages';

export const SANDBOX_FLAGS = {
  'image-template': { type: 'string' },
  namespace: { type: 'string' },
  'docker-host': { type: 'string' },
} as const;

export const SANDBOX_USAGE = `  --image-template T   image of a SWE-bench-format row that names none: swe-bench (the harness's
                       swebench/sweb.eval.x86_64.<id>:latest), swe-gym (SWE-Gym's images; the default for
                       SWE-Gym's repositories), swe-rebench (SWE-rebench's; the default for its rows, swe-bench
                       for the others), a template with {id} / {id_s} /
                       {instance_id}, or profile (the language's image with the repository copied in, the
                       default with --repos)
  --namespace NS       pull instance images from a mirror: NS replaces their namespace
                       (e.g. localhost:5000/swebench)
  --docker-host ADDR   the engine that pulls or builds the images and runs the sandboxes (unix://, tcp://, ssh://)`;

export interface SandboxFlagValues {
  'image-template'?: string;
  namespace?: string;
  'docker-host'?: string;
}

/** The evaluator settings the flags name, with pull progress printed as it comes. */
export function sandboxSettings(values: SandboxFlagValues): {
  instanceImages: InstanceImageOptions;
  dockerHost?: string;
  onProgress: (line: string) => void;
} {
  if (values['image-template'] !== undefined) checkImageTemplate(values['image-template']);
  return {
    instanceImages: { template: values['image-template'], namespace: values.namespace },
    dockerHost: values['docker-host'],
    onProgress: progressPrinter(),
  };
}

/** Prints progress lines at most once a second per image, and every line that ends a stage. */
function progressPrinter(): (line: string) => void {
  const printed = new Map<string, number>();
  return (line) => {
    const subject = line.split(':')[0];
    const now = Date.now();
    const finished = /(\d+)\/\1 layers/.test(line);
    if (!finished && now - (printed.get(subject) ?? 0) < 1000) return;
    printed.set(subject, now);
    console.log(line);
  };
}
