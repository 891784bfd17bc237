// ESLint (flat config): the recommended JavaScript and typescript-eslint rules, with formatting left to Prettier.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '**/generated/',
      '**/migrations/',
      'coverage/',
      'test-artifacts/',
      'backups/',
      '.data/',
      'clients/web/.dist-*/',
      'clients/web/public/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      // Unused arguments keep resolver and callback signatures readable when prefixed with `_`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Tests read arbitrary GraphQL response bodies and fixtures; typing each one would restate the schema in every
    // assertion, so `any` is allowed there (and only there).
    files: ['**/test/**/*.ts', '**/*.test.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
    // CommonJS files (jest.config.js) load modules with require by definition.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
