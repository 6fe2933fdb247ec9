// Imports a model module by its package name from this package's own node_modules. Kept out of the
// TypeScript sources on purpose: the `strata` command runs those bundled from packages/cli/dist/,
// where a computed `import(spec)` would resolve from the bundle's folder and not find the package.
export const importModelModule = (spec) => import(spec);
