import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'out/',
      'node_modules/',
      'media/vendor/',
      'sandbox/trainer/',
      'tasks/examples/*/repo/',
      'test/fixtures/grading-parity/sources/',
      '.vscode-test/',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      // The headless engine and the CLI must run without VS Code.
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'src/core and src/cli never import vscode.' }] },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // A promise returned unawaited from a try block outlives its finally: a scratch folder was removed while a
    // patch's files were still being read from it.
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'] },
  },
);
