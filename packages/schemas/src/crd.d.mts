// Types of crd.mjs, which stays plain JavaScript so that the generator script runs it uncompiled.
export type Schema = Record<string, unknown>;
export interface CrdDocument {
  readonly crd: {
    readonly apiVersion: string;
    readonly kind: "CustomResourceDefinition";
    readonly metadata: { readonly name: string };
    readonly spec: {
      readonly group: string;
      readonly names: { readonly kind: string; readonly plural: string };
      readonly versions: readonly { readonly name: string; readonly served: boolean; readonly schema?: { readonly openAPIV3Schema?: Schema } }[];
    };
  };
  /** The document's own YAML text. */
  readonly text: string;
}
export declare function objectMetaDefinitions(defs: Record<string, unknown>): Record<string, unknown>;
export declare function committedObjectMetaDefinitions(): Record<string, unknown>;
export declare function readCrds(text: string, where: string): CrdDocument[];
export declare function crdSchemas(
  crd: CrdDocument["crd"],
  objectMetaDefs: Record<string, unknown>,
  where: string,
  options?: { readonly share?: boolean },
): { file: string; schema: Schema }[];
export declare function inlineShared(schema: Schema): Schema;
export declare function schemaText(schema: Schema): string;
export declare function goProxy(env?: NodeJS.ProcessEnv): string;
export interface ModuleOptions {
  /** The Go module proxy. @default goProxy() */
  readonly proxy?: string;
  /** Go's module cache, which `go` reuses and fills. @default go's own */
  readonly modCache?: string;
  /** The go command. @default go */
  readonly go?: string;
}
export declare function verifiedGoEnv(proxy: string, modCache: string | undefined, env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export declare function verifiedModuleZip(module: string, version: string, options?: ModuleOptions): Promise<Uint8Array>;
export declare function moduleYamlFiles(module: string, version: string, dir: string, options?: ModuleOptions): Promise<Map<string, string>>;
