/**
 * How servers without a test double of their own word a prompt longer than the context, each read with the sizes it
 * names (the wordings as those servers' users quoted them).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseContextOverflow } from '../../../src/core/agent/policies/serverErrors';

const WORDINGS: [server: string, said: string, read: { limit?: number; promptTokens?: number }][] = [
  [
    'SGLang',
    "Requested token count exceeds the model's maximum context length of 262144 tokens. You requested a total of 263925 tokens: 199925 tokens from the input messages and 64000 tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.",
    { limit: 262144, promptTokens: 199925 },
  ],
  [
    'SGLang, Together',
    "The input (516368 tokens) is longer than the model's context length (262144 tokens).",
    { limit: 262144, promptTokens: 516368 },
  ],
  [
    "SGLang's scheduler",
    'Input length (41000 tokens) exceeds the maximum allowed length (32767 tokens). Use a shorter input.',
    { limit: 32767, promptTokens: 41000 },
  ],
  [
    'an OpenAI-compatible gateway',
    "Input length (265330) exceeds model's maximum context length (262144).",
    { limit: 262144, promptTokens: 265330 },
  ],
  [
    "Mistral's API",
    'Prompt contains 40000 tokens, too large for model with 32768 maximum context length',
    { limit: 32768, promptTokens: 40000 },
  ],
  [
    'xAI',
    "This model's maximum prompt length is 131072 but the request contains 537812 tokens",
    { limit: 131072, promptTokens: 537812 },
  ],
  [
    'Gemini',
    'The input token count (1196265) exceeds the maximum number of tokens allowed (1048575).',
    { limit: 1048575, promptTokens: 1196265 },
  ],
  [
    "Moonshot's Kimi API",
    'Invalid request: Your request exceeded model token limit: 262144 (requested: 269030)',
    { limit: 262144 },
  ],
  [
    'SGLang, the limit alone',
    "Requested token count exceeds the model's maximum context length of 32768 tokens.",
    { limit: 32768 },
  ],
];

for (const [server, said, read] of WORDINGS)
  test(`${server}: "${said.slice(0, 60)}…" is an overflow with the sizes it names`, () => {
    assert.deepEqual(parseContextOverflow(said, 400), read);
    assert.deepEqual(parseContextOverflow(said, 500), read, 'sizes named are an overflow whatever the status');
  });
