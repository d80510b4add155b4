/**
 * Nest 12 ships as ES modules. The application runs them through Node's require(esm); Jest's
 * module loader cannot, so SWC compiles the ES-module packages to CommonJS for tests only.
 */
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/** Names of the installed packages published as ES modules ("type": "module"). */
function esModulePackages(dir = join(__dirname, 'node_modules'), scope = '') {
  const names = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    if (entry.name.startsWith('.')) continue;
    if (!scope && entry.name.startsWith('@')) {
      names.push(...esModulePackages(join(dir, entry.name), entry.name));
      continue;
    }
    try {
      const manifest = JSON.parse(readFileSync(join(dir, entry.name, 'package.json'), 'utf8'));
      if (manifest.type === 'module') names.push(scope ? `${scope}/${entry.name}` : entry.name);
    } catch {
      // not a package directory
    }
  }
  return names;
}

const escape = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esModulePackages().map(escape).join('|')})/)`],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      rootDir: __dirname,
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
