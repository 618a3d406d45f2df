import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'libs/*/dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through the app config (apps/*/src/config).' },
      ],
    },
  },
  {
    // The client SDK runs in browsers too: no Node built-ins, and the contracts as types only (zod and the
    // schemas stay out of the browser bundle).
    files: ['libs/client/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@app/contracts', allowTypeImports: true, message: 'Use `import type` from @app/contracts in the client SDK.' }],
          patterns: [{ group: ['node:*', '@nestjs/*', 'socket.io', 'ioredis', 'zod'], message: 'The client SDK must stay browser-safe.' }],
        },
      ],
    },
  },
  {
    files: ['apps/*/src/config/*.ts', 'scripts/**', 'test/**', 'bench/**', '*.mjs'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The demo page's script runs in the browser, as an ES module.
    files: ['nginx/demo/**/*.js'],
    languageOptions: { sourceType: 'module', globals: { document: 'readonly', fetch: 'readonly', FormData: 'readonly' } },
  },
  {
    files: ['jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } },
  },
  {
    files: ['**/*.mjs', 'scripts/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
  },
);
