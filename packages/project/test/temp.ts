// Imported by path, not as @strata/testing/temp: @strata/testing depends on this package, which
// cannot depend on it in turn. The module itself imports nothing of the workspace.
export { suiteTempDir, testTempDir } from '../../testing/src/temp.ts';
