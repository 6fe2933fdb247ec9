/**
 * The layering of the workspace, checked by `npm test`: data flows down from the CLI to the
 * libraries, and from the libraries to core, never back up.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle makes two modules one: neither can be understood, tested or moved alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'libraries-never-import-cli',
      severity: 'error',
      comment:
        'The CLI parses, calls and prints; what a library needs from it belongs in a library, and what tests share (the throw-away workspace) in @strata/testing.',
      from: { path: '^packages/(?!cli/)[^/]+/(src|test)/' },
      to: { path: '^(packages/cli/|@strata/cli(/|$))' },
    },
    {
      name: 'only-pipeline-and-cli-import-verify',
      severity: 'error',
      comment:
        'Verify judges on a real API server and stands above the offline checks (validate, policy, server-validation, ...), which judge without one: what both need lies lower, in core or project. (Their differential tests compare with the API server that @strata/project/apiserver starts, as verify does.)',
      from: { path: '^packages/(?!verify/|pipeline/|cli/)[^/]+/src/' },
      to: { path: '^(packages/verify/|@strata/verify(/|$))' },
    },
    {
      name: 'nothing-imports-apps',
      severity: 'error',
      comment: 'Apps are loaded by path at run time (loadApps); a static import would tie a package to one app.',
      from: { path: '^(packages|scripts)/' },
      to: { path: '^(apps/|@strata-apps/)' },
    },
    {
      name: 'apps-import-no-other-app',
      severity: 'error',
      comment: 'Each app is its own package; sharing goes through core.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'core-imports-no-workspace-package',
      severity: 'error',
      comment: 'Core is the authoring API every app imports: it depends on nothing of the workspace.',
      from: { path: '^packages/core/' },
      // Also when the import cannot resolve: core lists no workspace package among its dependencies.
      to: { path: '^(packages/(?!core/)|apps/|scripts/|@strata/(?!core(/|$))|@strata-apps/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^packages/[^/]+/test/fixtures/|/__fixtures__/|^packages/cli/dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.json'] },
    moduleSystems: ['es6', 'cjs'],
  },
};
