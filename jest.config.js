// @ts-check
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
  },
];

const moduleNameMapper = {
  '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src',
  '^@sessionwire/([a-z-]+)$': '<rootDir>/libs/$1/src',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      // test/lint: the lint rules' own specs; test/support: the harness's pure logic (the integration suites are *.e2e-spec.ts).
      roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test/lint', '<rootDir>/test/support'],
      testMatch: ['**/*.spec.ts'],
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
      slowTestThreshold: 30,
      // Chooses local processes or containers for Redis and nginx (SESSIONWIRE_TEST_RUNTIME), once per run.
      globalSetup: '<rootDir>/test/support/test-runtime.global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeouts.ts'],
    },
  ],
};
