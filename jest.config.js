/**
 * Nest 12 ships as ES modules. The application runs them through Node's require(esm); Jest's
 * module loader cannot, so Babel rewrites the ES-module packages as CommonJS for tests only.
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

/** Our TypeScript, one file at a time (no type check here: `npm run typecheck` does that). */
const tsJest = [
  'ts-jest',
  {
    tsconfig: {
      module: 'commonjs',
      moduleResolution: 'node10',
      ignoreDeprecations: '6.0',
      target: 'ES2023',
      isolatedModules: true,
      esModuleInterop: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      resolveJsonModule: true,
      sourceMap: true,
    },
    diagnostics: false,
  },
];

/** ES-module packages from node_modules, `import.meta.url` included, rewritten as CommonJS. */
const esmToCommonJs = [
  'babel-jest',
  {
    babelrc: false,
    configFile: false,
    plugins: [
      // ES6 mode imports 'url' instead of calling require(), which these files often rebind.
      ['babel-plugin-transform-import-meta', { module: 'ES6' }],
      // oidc-provider (the test peer) re-exports namespaces (`export * as x from`).
      '@babel/plugin-transform-export-namespace-from',
      '@babel/plugin-transform-modules-commonjs',
      '@babel/plugin-transform-dynamic-import',
    ],
  },
];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest, '^.+\\.m?js$': esmToCommonJs },
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
