/**
 * The per-instance images benchmarks publish, as data: how an image is named for a row that names none, where
 * the repository is inside it, and how its environment is activated. Facts from the benchmarks' own harnesses
 * (SWE-bench 5.x `image_builder`, SWE-Gym's images as OpenHands names them, SWE-rebench's as its harness fork pulls
 * them with `--namespace swerebench`, SWE-smith @ cf2e649, R2E-Gym, Multi-SWE-bench), written here as our own data.
 */

import type { Task } from './task';

/** The conda environment SWE-bench-style images of Python repositories hold, activated as the harness's eval script does. */
export const CONDA_TESTBED_ACTIVATION = 'source /opt/miniconda3/bin/activate && conda activate testbed';

/**
 * The harness activates `testbed` for Python repositories only; the images of the other languages (SWE-bench
 * Multilingual) have no conda. The rows do not say which is which, the image does.
 */
export const SWE_BENCH_ACTIVATION = `if [ -e /opt/miniconda3/bin/activate ]; then ${CONDA_TESTBED_ACTIVATION}; fi`;

/** Where SWE-bench-style images hold the repository. */
export const TESTBED = '/testbed';

/**
 * Named image templates. Placeholders: `{id}` the instance id lower-cased with `__` written `_1776_` (the
 * harness's rule: registries refuse `__` in a repository name), `{id_s}` the same with `_s_` (SWE-Gym's images),
 * `{instance_id}` the id as the row has it.
 */
export const IMAGE_TEMPLATES: Record<string, string> = {
  'swe-bench': 'swebench/sweb.eval.x86_64.{id}:latest',
  'swe-gym': 'xingyaoww/sweb.eval.x86_64.{id_s}:latest',
  'swe-rebench': 'swerebench/sweb.eval.x86_64.{id}:latest',
};

/** The template for rows that name no image: the harness's naming. */
export const DEFAULT_IMAGE_TEMPLATE = 'swe-bench';

/** The template of each dataset whose rows name no image and whose images are not the harness's. */
const DATASET_IMAGE_TEMPLATES: Record<string, string> = { 'swe-gym': 'swe-gym', 'swe-rebench': 'swe-rebench' };

/** `--image-template profile`: run SWE-bench-format rows in their language's profile image with the repository copied in. */
export const PROFILE_ROUTE = 'profile';

export interface InstanceImageOptions {
  /** A name from IMAGE_TEMPLATES, a template with placeholders, or `profile`; default: the dataset's (`swe-bench`, `swe-gym`). */
  template?: string;
  /** Replaces the namespace (everything before the last `/` of the repository) of every instance image: a mirror. */
  namespace?: string;
}

const PLACEHOLDER = /\{(id|id_s|instance_id)\}/g;

export function checkImageTemplate(template: string): void {
  if (template === PROFILE_ROUTE || template in IMAGE_TEMPLATES) return;
  if (!PLACEHOLDER.test(template))
    throw new Error(
      `--image-template '${template}': name one of ${[...Object.keys(IMAGE_TEMPLATES), PROFILE_ROUTE].join(', ')}, or write a template with {id}, {id_s} or {instance_id}`,
    );
  PLACEHOLDER.lastIndex = 0;
}

function fillTemplate(template: string, instanceId: string): string {
  const lower = instanceId.toLowerCase();
  const values: Record<string, string> = {
    id: lower.replaceAll('__', '_1776_'),
    id_s: lower.replaceAll('__', '_s_'),
    instance_id: instanceId,
  };
  return template.replace(PLACEHOLDER, (_, name: string) => values[name]);
}

/** `registry/namespace/name:tag` with its namespace replaced; an image without one gets `namespace/` in front. */
export function withNamespace(image: string, namespace: string): string {
  const lastSlash = image.lastIndexOf('/');
  return `${namespace.replace(/\/+$/, '')}/${image.slice(lastSlash + 1)}`;
}

/**
 * The image `task` runs in as it is, or undefined when it runs in a profile image with its repository copied
 * in: tasks that are no benchmark instance, and SWE-bench-format rows under `--image-template profile`.
 */
export function instanceImage(task: Task, options: InstanceImageOptions = {}): string | undefined {
  if (!task.instance) return undefined;
  let image = task.instance.image;
  if (!image) {
    const template = options.template ?? DATASET_IMAGE_TEMPLATES[task.dataset ?? ''] ?? DEFAULT_IMAGE_TEMPLATE;
    if (template === PROFILE_ROUTE) return undefined;
    image = fillTemplate(IMAGE_TEMPLATES[template] ?? template, task.id);
  }
  return options.namespace ? withNamespace(image, options.namespace) : image;
}
