import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import eventSchema from './schema/trajectory-event.schema.json';
import type { TrajectoryEvent } from './types';

const ajv = new Ajv({ allErrors: false, strict: true });
// The schema file carries its own version number as a plain annotation.
ajv.addVocabulary(['schema_version']);
ajv.addSchema(eventSchema);

const definitionByType: Record<TrajectoryEvent['type'], string> = {
  run_started: 'runStarted',
  turn: 'turnEvent',
  event: 'eventEvent',
  run_finished: 'runFinished',
};

const validators = new Map<string, ValidateFunction>();

function validatorFor(definition: string): ValidateFunction {
  let validate = validators.get(definition);
  if (!validate) {
    validate = ajv.getSchema(`${eventSchema.$id}#/definitions/${definition}`);
    if (!validate) throw new Error(`trajectory schema has no definition '${definition}'`);
    validators.set(definition, validate);
  }
  return validate;
}

/** One ajv error as `field: message`, naming the JSON path so a reader can find it in the line. */
export function describeAjvError(error: ErrorObject): string {
  const where = error.instancePath || '(top level)';
  const detail = error.keyword === 'additionalProperties' ? ` '${String(error.params.additionalProperty)}'` : '';
  return `${where}: ${error.message ?? error.keyword}${detail}`;
}

/** Checks one parsed log line; returns null when valid, else a message naming the offending field. */
export function checkTrajectoryEvent(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'a trajectory line must be a JSON object';
  const type = (value as { type?: unknown }).type;
  const definition =
    typeof type === 'string' && Object.hasOwn(definitionByType, type)
      ? definitionByType[type as TrajectoryEvent['type']]
      : undefined;
  if (!definition)
    return `/type: must be one of ${Object.keys(definitionByType).join(', ')} (got ${JSON.stringify(type)})`;
  const validate = validatorFor(definition);
  if (validate(value)) return null;
  return (validate.errors ?? []).map(describeAjvError).join('; ');
}
