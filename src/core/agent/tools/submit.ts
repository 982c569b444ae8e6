/** `submit`: the agent declares its work done; the loop stops and the work tree is graded. */
import type { Tool } from './tool';

export function submitTool(): Tool {
  return {
    name: 'submit',
    readOnly: true,
    description:
      'Declare the task finished. Call it once, after your last change; the current state of the repository is what gets graded.',
    parameters: {
      type: 'object',
      properties: { summary: { type: 'string', description: 'A short account of what you changed and why.' } },
      additionalProperties: false,
    },
    async run() {
      return { output: 'Submitted.', isError: false, submitted: true };
    },
  };
}
