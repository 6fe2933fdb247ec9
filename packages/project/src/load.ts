import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import type { Metafile } from 'esbuild';
import { pathToFileURL } from 'node:url';
import { registerBundle } from '@strata/core/sources';

/** Apps that do not compile: esbuild's messages, each located in its file (an absolute path). */
export class CompileError extends Error {
  override readonly name = 'CompileError';
  constructor(readonly messages: readonly { readonly file?: string; readonly line: number; readonly column: number; readonly text: string }[]) {
    super(messages.map((m) => `${m.file ? `${m.file}:${m.line}:${m.column}: ` : ''}${m.text}`).join('\n'));
  }
}

interface EsbuildMessage {
  readonly text: string;
  readonly location?: { readonly file: string; readonly line: number; readonly column: number } | null;
}

function compileError(err: unknown): CompileError | undefined {
  const errors = (err as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return new CompileError(
    (errors as EsbuildMessage[]).map((e) => ({
      // esbuild names files relative to its working folder, and counts columns from 0.
      ...(e.location ? { file: resolve(e.location.file), line: e.location.line, column: e.location.column + 1 } : { line: 0, column: 0 }),
      text: e.text,
    })),
  );
}

/**
 * Loads many modules at once: their own TypeScript files are compiled together into one module by
 * esbuild (one call, well under a second for thousands of files), which is then imported once.
 * Loading them one by one through the TypeScript loader costs a round trip per file: seconds for a
 * few hundred apps.
 *
 * Whatever resolves into one of the `packages` folders (node_modules folders, say) stays out of the
 * bundle and is imported from its own file, so the modules share one copy of kubernetes-models,
 * @strata/core and the rest with the program that loads them.
 *
 * Resolves to each file's exports, the files it was compiled from (itself and every file of its own
 * it imports) and the files outside any node_modules folder that it imports as packages (workspace
 * packages such as @strata/core), all as real paths, in the order given; or to undefined for a set
 * that cannot be loaded this way (a file that uses `import.meta`, which would then describe the
 * bundle): the caller loads those one by one. Rejects when the files do not compile or a module
 * throws while loading; the caller then loads them one by one to say which.
 */
export interface Loaded {
  readonly exports: Record<string, unknown>;
  /** Compiled into the bundle. */
  readonly inputs: readonly string[];
  /** Imported from the workspace as packages, by the file the import resolved to. */
  readonly linked: readonly string[];
}

export async function importTogether(files: readonly string[], packages: readonly string[]): Promise<Loaded[] | undefined> {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'strata-apps-'));
  try {
    const built = build({
      stdin: { contents: files.map((f, i) => `export * as m${i} from ${JSON.stringify(f)};`).join('\n'), loader: 'ts', resolveDir: dir },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outdir: dir,
      write: false,
      metafile: true,
      // Kept beside the bundle, so that an exception thrown in render can name its own file and line.
      sourcemap: 'external',
      logLevel: 'silent',
      // Matched against resolved paths too: imports of these are written as paths to their files.
      external: packages.map((p) => join(p, '*')),
    });
    const result = await built.catch((err: unknown) => {
      throw compileError(err) ?? err;
    });
    const own = Object.keys(result.metafile.inputs).filter((f) => f !== '<stdin>');
    if (own.some((f) => readFileSync(f, 'utf8').includes('import.meta'))) return undefined;
    const bundle = join(dir, 'apps.mjs');
    const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
    writeFileSync(bundle, result.outputFiles.find((f) => !f.path.endsWith('.map'))!.contents);
    if (map) registerBundle(bundle, map.text, dir);
    const mod = (await import(pathToFileURL(bundle).href)) as Record<string, Record<string, unknown>>;
    const sources = sourcesOf(result.metafile, files, dir);
    return files.map((_, i) => ({ exports: mod[`m${i}`]!, ...sources[i]! }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Per entry file, the compiled files it reaches through its own imports, and the files outside any
 * node_modules folder that those import as packages. The metafile names compiled files relative to
 * the working folder, and packages relative to the output folder.
 */
function sourcesOf(meta: Metafile, entries: readonly string[], outdir: string): { inputs: string[]; linked: string[] }[] {
  // Apps share most of what they import: each path is resolved once.
  const resolved = new Map<string, string | undefined>();
  const real = (p: string) => {
    if (!resolved.has(p)) {
      try {
        resolved.set(p, realpathSync(p));
      } catch {
        resolved.set(p, undefined);
      }
    }
    return resolved.get(p);
  };
  return entries.map((entry) => {
    const seen = new Set<string>();
    const linked = new Set<string>();
    const queue = [relative(process.cwd(), real(entry) ?? entry)];
    while (queue.length > 0) {
      const key = queue.pop()!;
      if (seen.has(key) || !meta.inputs[key]) continue;
      seen.add(key);
      for (const i of meta.inputs[key].imports) {
        if (!i.external) queue.push(i.path);
        else if (!i.path.startsWith('node:')) {
          const target = real(resolve(outdir, i.path));
          if (target && !target.split(sep).includes('node_modules')) linked.add(target);
        }
      }
    }
    return { inputs: [...seen].map((k) => resolve(k)).sort(), linked: [...linked].sort() };
  });
}
