import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { findRoot, Layout } from '@strata/project';

const repo = findRoot();

/**
 * A throw-away workspace: kubeconform and the decoder from the real one's .tools, and the model
 * package linked so that an app resolves `@strata/crd-models` as it would in the workspace.
 */
export function workspace(): { root: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'strata-crds-'));
  writeFileSync(join(root, Layout.workspaceFile), 'packages:\n  - packages/*\n');
  symlinkSync(join(repo, '.tools'), join(root, '.tools'));
  mkdirSync(join(root, 'packages', 'crd-models'), { recursive: true });
  writeFileSync(join(root, 'packages', 'crd-models', 'package.json'), readFileSync(join(repo, 'packages', 'crd-models', 'package.json')));
  symlinkSync(join(repo, 'packages', 'crd-models', 'node_modules'), join(root, 'packages', 'crd-models', 'node_modules'));
  mkdirSync(join(root, 'node_modules', '@strata'), { recursive: true });
  symlinkSync(join(root, 'packages', 'crd-models'), join(root, 'node_modules', '@strata', 'crd-models'));
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** Compiles one app module with the workspace's compiler settings; returns the diagnostics. */
export function compile(root: string, source: string): string[] {
  const dir = join(root, 'apps', 'toys', 'src');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'app.ts'), source);
  const base = ts.readConfigFile(join(repo, 'tsconfig.base.json'), ts.sys.readFile).config as { compilerOptions: object };
  const { options } = ts.convertCompilerOptionsFromJson({ ...base.compilerOptions, types: [] }, root);
  try {
    const program = ts.createProgram([join(dir, 'app.ts')], options);
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
  } finally {
    rmSync(join(root, 'apps'), { recursive: true, force: true });
  }
}
