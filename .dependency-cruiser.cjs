/** Package boundaries: no cycles, no undeclared or unresolvable imports, no reaching into another package's files. */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make start-up order and testing fragile.', from: {}, to: { circular: true } },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment: 'Every package a workspace imports must be declared in its own package.json.',
      from: {},
      to: { dependencyTypesNot: ['local', 'core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'type-only', 'aliased-workspace', 'aliased-subpath-import'] },
    },
    {
      name: 'no-dev-deps-in-src',
      severity: 'error',
      comment: 'Shipped code may not import development-only packages. The CLI ships as one bundle (cli/dist/chat4all.mjs), so what it imports is built in and declared for development only.',
      from: { path: '/src/', pathNot: ['\\.test\\.ts$', '/testing/', '^cli/src/'] },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: ['node_modules/@types/'] },
    },
    {
      name: 'no-reaching-into-packages',
      severity: 'error',
      comment: 'Import another workspace through its package name and exports map, never by a relative path.',
      from: { path: '^(services/[^/]+|cli|operator|cdk8s|bench)/' },
      to: { dependencyTypes: ['local'], pathNot: '^$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(node_modules|dist|\\.run)/' },
    tsPreCompilationDeps: true,
    preserveSymlinks: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.json'] },
  },
};
