import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSecretEnvName, redactResult, redactTurn, Redactor, REDACTED } from '../../../src/core/trajectory/redact';
import { sampleTurn } from './sampleTrajectory';

const noEnv = () => new Redactor({ env: {} });

/** A private key in PEM form, as generated (the body is random base64, 64 characters a line). */
const PEM_BODY = Array.from(
  { length: 6 },
  (_, i) => `MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC${i}x7Yq+3bV9s/Kp`,
).join('\n');
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----`;

describe('redaction', () => {
  test('ordinary code is never rewritten, whatever its names say', () => {
    const code = [
      'password=make_password(raw)',
      'self.secret = settings.SECRET_KEY',
      'access_token=create_access_token(data={"sub": user.id}, expires_delta=timedelta(minutes=30))',
      'api_key: Optional[str] = None',
      'OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]',
      'headers = {"Authorization": f"Bearer {token}"}',
      'token = "placeholder-token-value"',
      'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # the example AWS documents',
      '.sk-button-primary-large { color: red }',
      '-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----',
      'hf_hub_download(repo_id, filename)',
    ].join('\n');
    assert.equal(noEnv().redactText(code), code);
  });

  test('registered secrets and secret env values go in every form: raw, JSON-escaped (once, twice), URL-encoded', () => {
    const secret = 'p@ss"word\\with/odd+chars';
    const redactor = new Redactor({ env: { DBPASSWORD: 'hunter2-but-longer' }, secrets: [secret] });
    const once = JSON.stringify(secret).slice(1, -1);
    const twice = JSON.stringify(once).slice(1, -1);
    const text = [secret, once, twice, encodeURIComponent(secret), 'db hunter2-but-longer'].join(' | ');
    assert.equal(redactor.redactText(text), [REDACTED, REDACTED, REDACTED, REDACTED, `db ${REDACTED}`].join(' | '));
  });

  test('env names that hold secrets, and ones that only look like it', () => {
    for (const name of [
      'DBPASSWORD',
      'MYSQL_ROOT_PASSWORD',
      'HF_TOKEN',
      'GITHUB_PAT',
      'AWS_SECRET_ACCESS_KEY',
      'ApiKey',
    ])
      assert.ok(isSecretEnvName(name), name);
    for (const name of ['PATH', 'HOME', 'GIT_AUTHOR_NAME', 'TOKENIZERS_PARALLELISM', 'SECRETS_DIR', 'KEYBOARD_LAYOUT'])
      assert.ok(!isSecretEnvName(name), name);
    const redactor = new Redactor({ env: { GOOGLE_APPLICATION_CREDENTIALS: '/usr/bin', SHORT_TOKEN: 'abc' } });
    assert.equal(redactor.redactText('creds in /usr/bin, token abc'), 'creds in /usr/bin, token abc');
  });

  test('well-known key shapes are replaced in messages and observations', () => {
    const keys = [
      'sk-proj-Abc123def456GHI789jkl012MNO345',
      'sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV',
      'glpat-abcdefghij0123456789',
      'AKIAZ3MHALFKQX7NYB2C',
      'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q',
      'xoxb-1234567890-abcdefghij',
      'hf_abcdefghijklmnopqrstuvwxyzABCDEFGH',
      'npm_abcdefghijklmnopqrstuvwxyz0123456789',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'django-insecure-k3$z!v8q@w0e#r6t^y2u&i9o*p1a(s5d-f7g_h4j=l+x2c8v0b',
      PEM,
    ];
    const redactor = noEnv();
    for (const key of keys) assert.equal(redactor.redactText(`see ${key} here`), `see ${REDACTED} here`, key);
    assert.equal(redactor.redactText('Bearer abcdefghijklmnop0123456789'), `Bearer ${REDACTED}`);
    const rfcExample = 'Authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW';
    assert.equal(redactor.redactText(rfcExample), rfcExample, 'the RFC 6749 example in real docstrings stays');
    const escaped = JSON.stringify(PEM).slice(1, -1);
    assert.equal(redactor.redactText(`key = "${escaped}"`), `key = "${REDACTED}"`, 'a key written with \\n escapes');
  });

  test("a turn's diff and the patch lose only registered secrets, and say so", () => {
    const redactor = new Redactor({ env: {}, secrets: ['configured-key-7f3a9c2e41d8'] });
    const shaped = '+AWS_KEY = "AKIAZ3MHALFKQX7NYB2C"\n';
    const turn = { ...sampleTurn(1), index: 1, diff: `${sampleTurn(1).diff}${shaped}` };
    const kept = redactTurn(redactor, turn);
    assert.equal(kept.diff, turn.diff, 'a key shape in code is left for the user to see; only exact secrets go');
    assert.equal(kept.secrets_in_diff, undefined);
    const leaking = redactTurn(redactor, { ...turn, diff: '+KEY = "configured-key-7f3a9c2e41d8"\n' });
    assert.equal(leaking.diff, `+KEY = "${REDACTED}"\n`);
    assert.equal(leaking.secrets_in_diff, true);
    const result = redactResult(redactor, {
      exit_status: 'submitted',
      ended_at: 'x',
      patch: 'a configured-key-7f3a9c2e41d8',
      reward: null,
    });
    assert.deepEqual([result.patch, result.secrets_in_patch], [`a ${REDACTED}`, true]);
    const clean = redactResult(redactor, { exit_status: 'submitted', ended_at: 'x', patch: shaped, reward: null });
    assert.deepEqual([clean.patch, clean.secrets_in_patch], [shaped, undefined]);
  });

  test("the reasoning kept to go back with a reply is redacted as the turn's reasoning is", () => {
    const redactor = new Redactor({ env: {}, secrets: ['configured-key-7f3a9c2e41d8'] });
    const thought = 'The key is sk-proj-Abc123def456GHI789jkl012MNO345, or configured-key-7f3a9c2e41d8.';
    const base = { ...sampleTurn(1), index: 1 };
    const [reply, ...rest] = base.messages;
    const turn = {
      ...base,
      reasoning: thought,
      messages: [{ ...reply, extra: { reasoning_sent_back: { field: 'reasoning_content', text: thought } } }, ...rest],
    };
    const kept = redactTurn(redactor, turn);
    const cleaned = `The key is ${REDACTED}, or ${REDACTED}.`;
    assert.equal(kept.reasoning, cleaned);
    assert.deepEqual(kept.messages[0].extra, { reasoning_sent_back: { field: 'reasoning_content', text: cleaned } });
  });

  test('tool-call arguments are code: a key shape in them stays (as in the diff it writes), exact secrets go', () => {
    const redactor = new Redactor({ env: {}, secrets: ['configured-key-7f3a9c2e41d8'] });
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const written = JSON.stringify({ path: 'tests/test_jwt.py', file_text: `TOKEN = "${jwt}"\n` });
    const base = { ...sampleTurn(1), index: 1 };
    const call = { id: 'c1', type: 'function' as const, function: { name: 'str_replace_editor', arguments: written } };
    const turn = {
      ...base,
      messages: [{ role: 'assistant' as const, content: `I will write ${jwt}`, tool_calls: [call] }],
      observations: [{ ...base.observations[0], arguments: written, output: `wrote ${jwt}` }],
    };
    const kept = redactTurn(redactor, turn);
    assert.equal(kept.messages[0].tool_calls?.[0].function.arguments, written);
    assert.equal(kept.observations[0].arguments, written);
    assert.equal(kept.messages[0].content, `I will write ${REDACTED}`, 'prose and outputs still lose key shapes');
    assert.equal(kept.observations[0].output, `wrote ${REDACTED}`);
    assert.equal(turn.messages[0].tool_calls[0].function.arguments, written, 'the recorded turn is not changed');

    const leaking = JSON.stringify({ command: 'curl -H "X-Key: configured-key-7f3a9c2e41d8" x' });
    const exact = redactTurn(redactor, {
      ...turn,
      messages: [{ ...turn.messages[0], tool_calls: [{ ...call, function: { name: 'bash', arguments: leaking } }] }],
    });
    assert.equal(
      exact.messages[0].tool_calls?.[0].function.arguments,
      leaking.replace('configured-key-7f3a9c2e41d8', REDACTED),
    );
  });

  test("a call's extra_content (Gemini's thought signature) is kept byte for byte, a key shape in its base64 too; exact secrets go", () => {
    const redactor = new Redactor({ env: {}, secrets: ['configured-key-7f3a9c2e41d8'] });
    // Base64 can hold Google's own API-key shape (AIza and 35 characters) between a '/' and a '+'.
    const signature = 'EjQKMgEMOdbHJChLX75QUCJj/AIzaSyD3x9Q2mV8kL4pR7tW1nB6cF0hJ5gK2sA9+Qb7YqW2==';
    assert.notEqual(redactor.redactText(signature), signature, 'a shape that prose would lose');
    const base = { ...sampleTurn(1), index: 1 };
    const call = (thoughtSignature: string) => ({
      id: 'c1',
      type: 'function' as const,
      function: { name: 'bash', arguments: '{"command":"ls"}' },
      extra_content: { google: { thought_signature: thoughtSignature } },
    });
    const turnWith = (thoughtSignature: string) => ({
      ...base,
      messages: [{ role: 'assistant' as const, content: null, tool_calls: [call(thoughtSignature)] }],
    });
    assert.deepEqual(redactTurn(redactor, turnWith(signature)).messages[0].tool_calls?.[0], call(signature));
    const leaking = `${signature}configured-key-7f3a9c2e41d8`;
    assert.deepEqual(
      redactTurn(redactor, turnWith(leaking)).messages[0].tool_calls?.[0],
      call(`${signature}${REDACTED}`),
    );
  });
  test("Anthropic's thinking signatures and redacted thinking are kept byte for byte, a key shape too; the thinking text loses key shapes as prose does", () => {
    const redactor = new Redactor({ env: {}, secrets: ['configured-key-7f3a9c2e41d8'] });
    const signature = 'ErUBCkYIBRgCIkB4/AIzaSyD3x9Q2mV8kL4pR7tW1nB6cF0hJ5gK2sA9+Qb7YqW2Ejc0==';
    const data = 'EmwKAhgBEgy3va3pzix/AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q+rS8==';
    const keyShaped = 'sk-proj-4fQ9xT2mB7kL1pR8wZ3nC6vD0hJ5gY';
    const message = (sig: string) => ({
      role: 'assistant' as const,
      content: 'Looking.',
      extra: {
        thinking_blocks: [
          { type: 'thinking', thinking: `The key ${keyShaped} is in .env.`, signature: sig },
          { type: 'redacted_thinking', data },
        ],
      },
    });
    const turn = { ...sampleTurn(1), index: 1, messages: [message(signature)] };
    const [block, redactedBlock] = redactTurn(redactor, turn).messages[0].extra?.thinking_blocks as Record<
      string,
      string
    >[];
    assert.equal(block.signature, signature);
    assert.equal(redactedBlock.data, data);
    assert.equal(block.thinking, `The key ${REDACTED} is in .env.`);
    const leaking = { ...turn, messages: [message(`${signature}configured-key-7f3a9c2e41d8`)] };
    const [leaked] = redactTurn(redactor, leaking).messages[0].extra?.thinking_blocks as Record<string, string>[];
    assert.equal(leaked.signature, `${signature}${REDACTED}`, 'an exact secret goes wherever it is');
  });

  test("OpenRouter's reasoning blocks (reasoning_details) keep their signatures and encrypted data byte for byte, key shapes too; their text loses key shapes; exact secrets go", () => {
    const redactor = new Redactor({ env: {}, secrets: ['configured-key-7f3a9c2e41d8'] });
    const keyShaped = 'sk-proj-4fQ9xT2mB7kL1pR8wZ3nC6vD0hJ5gY';
    const details = (text: string) => [
      {
        type: 'reasoning.text',
        text,
        id: `rs_${keyShaped}`,
        signature: 'ErUBCkYIBRgCIkB4/AIzaSyD3x9Q2mV8kL4pR7tW1nB6cF0hJ5gK2sA9+Qb7YqW2Ejc0==',
        format: 'anthropic-claude-v1',
        index: 0,
      },
      { type: 'reasoning.encrypted', data: 'gAAAAABo95/AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q+rS8==', index: 1 },
    ];
    const turnWith = (text: string) => ({
      ...sampleTurn(1),
      index: 1,
      messages: [
        {
          role: 'assistant' as const,
          content: 'Looking.',
          extra: { reasoning_sent_back: { field: 'reasoning', text }, reasoning_details: details(text) },
        },
      ],
    });
    // A key the model thought about must not reach the log, though its block's signature then no longer matches.
    const thought = `The key ${keyShaped} is in .env.`;
    const [kept] = redactTurn(redactor, turnWith(thought)).messages;
    assert.deepEqual(kept.extra?.reasoning_details, details(`The key ${REDACTED} is in .env.`));
    assert.deepEqual(kept.extra?.reasoning_sent_back, { field: 'reasoning', text: `The key ${REDACTED} is in .env.` });
    const [leaked] = redactTurn(redactor, turnWith(`${thought} configured-key-7f3a9c2e41d8`)).messages;
    assert.deepEqual(
      leaked.extra?.reasoning_details,
      details(`The key ${REDACTED} is in .env. ${REDACTED}`),
      'an exact secret goes',
    );
  });

  test("the Responses API's reasoning items keep their ids and encrypted content byte for byte, key shapes too; their summaries lose key shapes; exact secrets go", () => {
    const redactor = new Redactor({ env: {}, secrets: ['configured-key-7f3a9c2e41d8'] });
    const keyShaped = 'sk-proj-4fQ9xT2mB7kL1pR8wZ3nC6vD0hJ5gY';
    const encrypted = 'gAAAAABo95/AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q+rS8==';
    const item = (text: string, encryptedContent = encrypted) => ({
      id: 'rs_68c1f0',
      type: 'reasoning',
      summary: [{ type: 'summary_text', text }],
      encrypted_content: encryptedContent,
    });
    const turnWith = (reasoningItem: Record<string, unknown>) => ({
      ...sampleTurn(1),
      index: 1,
      messages: [{ role: 'assistant' as const, content: 'Looking.', extra: { reasoning_items: [reasoningItem] } }],
    });
    const thought = `The key ${keyShaped} is in .env.`;
    const [kept] = redactTurn(redactor, turnWith(item(thought))).messages;
    assert.deepEqual(kept.extra?.reasoning_items, [item(`The key ${REDACTED} is in .env.`)]);
    const [leaked] = redactTurn(redactor, turnWith(item(thought, `${encrypted}configured-key-7f3a9c2e41d8`))).messages;
    assert.deepEqual(
      leaked.extra?.reasoning_items,
      [item(`The key ${REDACTED} is in .env.`, `${encrypted}${REDACTED}`)],
      'an exact secret goes',
    );
  });
});
