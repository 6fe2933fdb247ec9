import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { filesIn, UsageError } from '@strata/project';
import { moduleYamlFiles, readCrds, type CrdDocument } from '@strata/schemas/crd';

/** Where `strata crd add` reads CustomResourceDefinitions from. */
export type CrdSource =
  | {
      readonly kind: 'file';
      readonly path: string;
      /** The file or folder as the person named it: from the folder they typed it in, unless typed absolute. */
      readonly shown: string;
    }
  | { readonly kind: 'module'; readonly module: string; readonly version: string; readonly dir: string };

/** One CRD as read, with where it came from (for the header of the kept manifest and for errors). */
export interface SourcedCrd extends CrdDocument {
  readonly from: string;
  /** The whole text of the file it is in, as read: what validate judges, at the file's own lines. */
  readonly fileText: string;
}

export interface FetchOptions {
  /** The Go module proxy. @default the first proxy of $GOPROXY, else the public one */
  readonly proxy?: string;
  /** Go's module cache, which `go mod download` reuses and fills. @default $GOMODCACHE, else ~/go/pkg/mod */
  readonly modCache?: string;
}

const MODULE = /^([a-z0-9][a-zA-Z0-9._~/-]*\.[a-z]+(?:\/[a-zA-Z0-9._~-]+)*)@(v\d+\.\d+\.\d+[a-zA-Z0-9.+-]*)$/;

/**
 * `examples/widgets.yaml` (a file or a folder of YAML files, relative to `from`) or
 * `sigs.k8s.io/gateway-api@v1.6.3` with an optional folder inside the module. A file that exists
 * wins over a module spelling. `root` names a file typed as an absolute path, as validate names it.
 */
export function parseCrdSource(arg: string, dir: string | undefined, from: string, root: string = from): CrdSource {
  const path = resolve(from, arg);
  if (existsSync(path)) {
    if (dir !== undefined) throw new UsageError(`crd add ${arg} ${dir}: a folder inside applies only to a Go module; name the file or folder alone`);
    // As validate names its files: from the folder typed in, or from the root when typed absolute.
    const shown = isAbsolute(arg) ? fromRoot(path, root) : relative(from, path) || '.';
    return { kind: 'file', path, shown };
  }
  const m = MODULE.exec(arg);
  if (m) return { kind: 'module', module: m[1]!, version: m[2]!, dir: (dir ?? '').replace(/^\/+|\/+$/g, '') };
  if (/\.ya?ml$/.test(arg) || arg.includes('/') === false) {
    throw new UsageError(`crd add ${arg}: no such file; name a CRD YAML file, a folder of them, or a Go module as <module>@<version> [folder]`);
  }
  throw new UsageError(
    `crd add ${arg}: not a file and not a Go module version; write the module as <module>@<version>, such as sigs.k8s.io/gateway-api@v1.6.3 config/crd/standard`,
  );
}

/** How the source is named in the headers of the files written: the same from any folder. */
export function describeSource(source: CrdSource, root: string): string {
  if (source.kind === 'module') return moduleName(source);
  return fromRoot(source.path, root);
}

/** A path from the root when it is inside it, else absolute. */
function fromRoot(path: string, root: string): string {
  const rel = relative(root, path);
  return rel.startsWith('..') ? path : rel;
}

/** How the source is named in what a person reads: a file or folder as they typed it. */
export function shownSource(source: CrdSource): string {
  return source.kind === 'module' ? moduleName(source) : source.shown;
}

const moduleName = (source: Extract<CrdSource, { kind: 'module' }>) => `${source.module}@${source.version}${source.dir ? ` ${source.dir}` : ''}`;

function yamlFilesIn(dir: string): string[] {
  return filesIn(dir).filter((file) => /\.ya?ml$/.test(file));
}

/**
 * Every CustomResourceDefinition of the source. A CRD named twice (a standard and an experimental
 * copy in one module, say) is an error that asks for a narrower folder.
 */
export async function readSource(source: CrdSource, options: FetchOptions = {}): Promise<SourcedCrd[]> {
  const texts = new Map<string, string>();
  if (source.kind === 'file') {
    const files = statSync(source.path).isDirectory() ? yamlFilesIn(source.path) : [source.path];
    // Each file named as the person named the source: a folder's files under the folder as typed.
    for (const f of files) texts.set(f === source.path ? source.shown : join(source.shown, relative(source.path, f)), readFileSync(f, 'utf8'));
  } else {
    let files: Map<string, string>;
    try {
      files = await moduleYamlFiles(source.module, source.version, source.dir, {
        ...(options.proxy !== undefined ? { proxy: options.proxy } : {}),
        modCache: options.modCache ?? process.env.GOMODCACHE ?? join(process.env.GOPATH ?? join(process.env.HOME ?? '/', 'go'), 'pkg', 'mod'),
      });
    } catch (err) {
      throw new UsageError(`crd add ${shownSource(source)}: ${(err as Error).message}`);
    }
    const prefix = `${source.module}@${source.version}/${source.dir ? `${source.dir}/` : ''}`;
    for (const [f, text] of files) texts.set(`${prefix}${f}`, text);
  }
  const found: SourcedCrd[] = [];
  const seen = new Map<string, string>();
  for (const [from, text] of texts) {
    for (const doc of readCrds(text, from)) {
      const name = doc.crd.metadata.name;
      const before = seen.get(name);
      if (before !== undefined)
        throw new Error(`${from}: CustomResourceDefinition ${name} is also defined in ${before}; name a folder that holds one copy`);
      seen.set(name, from);
      found.push({ ...doc, from, fileText: text });
    }
  }
  if (found.length === 0) {
    const what = source.kind === 'module' ? `${texts.size} YAML files under ${shownSource(source)}` : shownSource(source);
    throw new UsageError(
      `crd add: no CustomResourceDefinition (apiextensions.k8s.io/v1) in ${what}; name the file or module folder that holds the CRDs`,
    );
  }
  return found;
}
