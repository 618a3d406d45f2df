import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The folders of each app (and of the server package), lowest first: a folder imports only from the folders listed
 * before it, so they cannot import each other in a loop.
 */
const FOLDER_LAYERS = {
  'apps/gateway': ['config', 'sockets', 'realtime', 'health'],
  'apps/auth': ['config', 'keys', 'metrics', 'users', 'login-limits', 'revocation', 'auth', 'sessions', 'admin', 'oidc', 'health'],
  'libs/server': ['config', 'sockets', 'registry', 'revocation', 'handshake', 'lifetime'],
};

const layerZones = Object.entries(FOLDER_LAYERS).flatMap(([project, folders]) =>
  folders.slice(0, -1).map((folder, index) => ({
    target: `./${project}/src/${folder}`,
    from: folders.slice(index + 1).map((higher) => `./${project}/src/${higher}`),
    message: `${project}/src/${folder} is below ${folders.slice(index + 1).join(', ')} (FOLDER_LAYERS in eslint.config.mjs).`,
  })),
);

export default tseslint.config(
  { ignores: ['dist/**', 'libs/*/dist/**', 'examples/*/dist/**', 'examples/*/node_modules/**', 'node_modules/**', 'coverage/**', '.data/**', 'bench/results/**'] },
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
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${import.meta.dirname}/tsconfig.json` })],
    },
    rules: {
      // Type-only imports are not followed (they vanish at compile time); packages are not walked.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            { target: './apps/auth', from: './apps/gateway', message: 'Apps never import each other: share it through a library under libs/.' },
            { target: './apps/gateway', from: './apps/auth', message: 'Apps never import each other: share it through a library under libs/.' },
            { target: './libs', from: './apps', message: 'Libraries never import apps.' },
            ...layerZones,
          ],
        },
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
    // examples/: stand-alone apps outside the monorepo's config, reading their own environment.
    files: ['apps/*/src/config/*.ts', 'scripts/**', 'test/**', 'bench/**', 'examples/**', '*.mjs'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The demo page's and the operator console's scripts run in the browser, as ES modules.
    files: ['nginx/demo/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['document', 'window', 'location', 'history', 'sessionStorage', 'fetch', 'FormData', 'URL', 'URLSearchParams', 'crypto', 'TextEncoder', 'TextDecoder', 'btoa', 'atob', 'setInterval', 'clearInterval'].map(
          (name) => [name, 'readonly'],
        ),
      ),
    },
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
