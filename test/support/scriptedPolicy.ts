import type { Policy, PolicyRequest, PolicyResponse } from '../../src/core/agent/policies/policy';

export type Answer = Partial<PolicyResponse> | Error | ((request: PolicyRequest) => Promise<Partial<PolicyResponse>>);

/** A policy answering from a script; each request is kept. */
export function scripted(answers: Answer[], settings = {}): Policy & { requests: PolicyRequest[] } {
  const requests: PolicyRequest[] = [];
  return {
    requests,
    info: {
      backend: 'openai',
      model: 'scripted',
      parameters: {},
      settings,
      contextWindow: { tokens: 32_000, source: 'test' },
    },
    async next(request) {
      requests.push({ ...request, messages: [...request.messages] });
      const answer = answers.shift();
      if (!answer) throw new Error('the script ran out');
      if (answer instanceof Error) throw answer;
      const partial = typeof answer === 'function' ? await answer(request) : answer;
      return {
        usage: { promptTokens: 100, completionTokens: 10 },
        modelMs: 1,
        retries: 0,
        message: { role: 'assistant', content: '' },
        ...partial,
      };
    },
  };
}
