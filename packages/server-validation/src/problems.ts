import { objectName, type Problem } from '@strata/project';
import { checkWithCrds, INSTALL_COMMAND, pathSegments, resolveHelper, type HelperOptions, type Verdict } from './helper.ts';

/** The rule name of every problem found here. */
export const RULE = 'server-validation';

/** An object as the validator read it: where it is, and how to find a field's line. */
export interface LocatedObject {
  readonly file: string;
  /** Which object of the run it is (`<file>#<n>`), carried into its problems for counting. */
  readonly id?: string;
  readonly line: number;
  readonly manifest: {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name?: unknown; readonly namespace?: unknown };
  };
  /** The line of a field, or of its nearest existing parent. */
  lineOf(path: readonly (string | number)[]): number;
}

export interface ServerFieldChecks {
  readonly problems: Problem[];
  /** Objects the helper checked (built-in kinds, custom resources of a CRD it was given); the others are left to the schema and policy. */
  readonly checked: number;
  /** The custom resources among them: checked against their CRD's schema by the server's own code. */
  readonly customResources?: readonly LocatedObject[];
  /**
   * One line for the reader: that the checks could not run and how to make them run, or which kinds
   * of the input they could not check offline (their create needs a cluster).
   */
  readonly note?: string;
  /** The kinds (`<apiVersion> <kind>`) of the input the checks could not run on offline, sorted, each once: those the note names. */
  readonly notChecked?: readonly string[];
  /** The checks did not run at all (their helper is not built): the note says how to make them run. */
  readonly skipped?: true;
}

/** The checks' name, as a run's notes and its summary name them. */
export const SERVER_CHECKS = 'server field checks';

/** Says that the checks did not run and how to make them run. */
export const NOT_BUILT_NOTE = `${SERVER_CHECKS}: not built yet; run \`${INSTALL_COMMAND}\` (minutes, once per machine)`;

// Unknown and duplicate fields (strict decoding): the strict schema and the YAML reader report
// those already.
const STRICT_TYPES = new Set(['UnknownField', 'DuplicateField']);

/**
 * The API server's field validation of every built-in object, as problems with the rule
 * `server-validation`, the server's field path and the line of that field. When the helper is not
 * built (it takes minutes, once per machine) nothing is checked and `note` says so.
 */
export async function serverFieldProblems(
  objects: readonly LocatedObject[],
  options: HelperOptions & {
    helper?: string;
    /** The object's manifest as JSON, when the caller has made it already. */
    json?: (o: LocatedObject) => string;
    /**
     * CustomResourceDefinitions to check the custom resources of their kinds against, in order (a
     * later one of the same group and kind wins): those the project keeps, then those of the input.
     * Those that are located (of the input) have what the server refuses in them reported too.
     */
    crds?: readonly (LocatedObject | { readonly manifest: unknown })[];
  } = {},
): Promise<ServerFieldChecks> {
  const helper = options.helper ?? resolveHelper();
  if (!helper) return { problems: [], checked: 0, note: NOT_BUILT_NOTE, skipped: true };
  if (objects.length === 0) return { problems: [], checked: 0 };
  const { json } = options;
  const crds = options.crds ?? [];
  const verdicts = await checkWithCrds(
    helper,
    crds.map((c) => c.manifest),
    objects.map((o) => o.manifest),
    {
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.serviceNodePortRange ? { serviceNodePortRange: options.serviceNodePortRange } : {}),
      ...(json ? { json: (_: unknown, i: number) => json(objects[i]!) } : {}),
    },
  );
  const problems: Problem[] = [];
  // The kinds the helper knows a CRD for: their unknown fields are reported here, since no schema
  // check may have seen them (a CRD of the input has no schema for kubeconform).
  const custom = new Set<string>();
  verdicts.crds.forEach((v, i) => {
    const crd = crds[i]!;
    if (v.errors.length === 0) {
      const { group, names } = ((crd.manifest as { spec?: { group?: unknown; names?: { kind?: unknown } } }).spec ?? {}) as {
        group?: unknown;
        names?: { kind?: unknown };
      };
      custom.add(`${String(group)}/${String(names?.kind)}`);
    }
    if ('lineOf' in crd) problems.push(...problemsOf(crd, v, false));
  });
  const customResources: LocatedObject[] = [];
  const needCluster = new Set<string>();
  let checked = 0;
  verdicts.objects.forEach((v, i) => {
    if (v.needsCluster) needCluster.add(`${objects[i]!.manifest.apiVersion} ${objects[i]!.manifest.kind}`);
    if (!v.checked) return;
    checked++;
    const o = objects[i]!;
    const isCustom = custom.has(`${o.manifest.apiVersion.slice(0, Math.max(0, o.manifest.apiVersion.lastIndexOf('/')))}/${o.manifest.kind}`);
    if (isCustom) customResources.push(o);
    problems.push(...problemsOf(o, v, isCustom));
  });
  const notChecked = [...needCluster].sort();
  return { problems, checked, customResources, ...(notChecked.length > 0 ? { note: notCheckedNote(notChecked), notChecked } : {}) };
}

const NOT_CHECKED = 'server field checks: not checked offline, their create needs a cluster (`strata verify` checks them): ';

/** Says, once for a run, which kinds of the input the server's checks could not run on offline. */
export function notCheckedNote(kinds: readonly string[]): string {
  return `${NOT_CHECKED}${[...new Set(kinds)].sort().join(', ')}`;
}

// What the server adds, for the object as a whole, when a schema error kept it from running a
// custom resource's CEL rules: it comes only with those errors, which are reported themselves.
const CEL_NOT_RUN = 'some validation rules were not checked because the object was invalid';

/** The problems of one verdict; unknown and duplicate fields only when `strict` (no strict schema reports them). */
function problemsOf(o: LocatedObject, v: Verdict, strict: boolean): Problem[] {
  const { namespace } = o.manifest.metadata;
  const name = objectName(o.manifest.metadata);
  const object = {
    file: o.file,
    apiVersion: o.manifest.apiVersion,
    kind: o.manifest.kind,
    ...(typeof namespace === 'string' && namespace ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
  };
  return v.errors
    .filter((e) => (strict || !STRICT_TYPES.has(e.type)) && !(e.path === '' && e.message.includes(CEL_NOT_RUN)))
    .map((e) => ({
      ...object,
      ...(o.id ? { resource: o.id } : {}),
      line: e.path ? o.lineOf(pathSegments(e.path)) : o.line,
      ...(e.path ? { path: e.path } : {}),
      message: e.message,
      rule: RULE,
      severity: 'error' as const,
    }));
}

/**
 * Server findings on a field an earlier check already reported (the schema: a string where a number
 * belongs, a value outside an enum it knows; the reader: an object without a name) say the same
 * thing twice; the earlier one is kept. So do those inside a field the schema found of the wrong
 * type (`spec.dnsNames: got object, want array`): a custom resource's check then reports the keys
 * of that object as unknown fields, one defect said again in other words.
 */
export function withoutSchemaDuplicates(server: readonly Problem[], schema: readonly Problem[]): Problem[] {
  const object = (p: Problem) => [p.file, p.apiVersion ?? '', p.kind ?? '', p.namespace ?? '', p.name ?? ''].join('\u0001');
  const key = (p: Problem) => `${object(p)}\u0001${pathSegments(p.path ?? '').join('\0')}`;
  const reported = new Set(schema.map(key));
  const mistyped = schema.filter((p) => p.path && /^got \w+, want /.test(p.message)).map(key);
  const inside = (p: Problem) => {
    const k = key(p);
    return mistyped.some((m) => k.startsWith(`${m}\0`));
  };
  // The schema names a required field that is missing at its parent ("missing property 'secretName'"
  // at spec), the server at the field itself (spec.secretName: Required value).
  for (const p of schema) {
    const names = /^missing propert(?:y|ies) ('.*')$/s.exec(p.message)?.[1];
    for (const name of names?.slice(1, -1).split("', '") ?? []) reported.add(key({ ...p, path: p.path ? `${p.path}.${name}` : name }));
  }
  return server.filter((p) => !reported.has(key(p)) && !inside(p));
}
