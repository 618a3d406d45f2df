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
      // test/lint: the lint rules' own specs (the integration suites are *.e2e-spec.ts).
      roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test/lint'],
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
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeouts.ts'],
    },
  ],
};
