import { objectName, type Problem } from '@strata/project';
import { checkObjects, INSTALL_COMMAND, pathSegments, resolveHelper, type HelperOptions } from './helper.ts';

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
  /** Objects the helper checked (built-in kinds); the others are left to the schema and policy. */
  readonly checked: number;
  /** One line for the reader when the checks could not run, saying how to make them run. */
  readonly note?: string;
}

/** Says that the checks did not run and how to make them run. */
export const NOT_BUILT_NOTE = `server field checks: not built yet; run \`${INSTALL_COMMAND}\` (minutes, once per machine)`;

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
  } = {},
): Promise<ServerFieldChecks> {
  const helper = options.helper ?? resolveHelper();
  if (!helper) return { problems: [], checked: 0, note: NOT_BUILT_NOTE };
  if (objects.length === 0) return { problems: [], checked: 0 };
  const { json } = options;
  const verdicts = await checkObjects(
    helper,
    objects.map((o) => o.manifest),
    {
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.serviceNodePortRange ? { serviceNodePortRange: options.serviceNodePortRange } : {}),
      ...(json ? { json: (_: unknown, i: number) => json(objects[i]!) } : {}),
    },
  );
  const problems: Problem[] = [];
  let checked = 0;
  verdicts.forEach((v, i) => {
    if (!v.checked) return;
    checked++;
    const o = objects[i]!;
    const { namespace } = o.manifest.metadata;
    const name = objectName(o.manifest.metadata);
    const object = {
      file: o.file,
      apiVersion: o.manifest.apiVersion,
      kind: o.manifest.kind,
      ...(typeof namespace === 'string' && namespace ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
    };
    for (const e of v.errors) {
      if (STRICT_TYPES.has(e.type)) continue;
      problems.push({
        ...object,
        ...(o.id ? { resource: o.id } : {}),
        line: e.path ? o.lineOf(pathSegments(e.path)) : o.line,
        ...(e.path ? { path: e.path } : {}),
        message: e.message,
        rule: RULE,
        severity: 'error',
      });
    }
  });
  return { problems, checked };
}

/**
 * Server findings on a field an earlier check already reported (the schema: a string where a number
 * belongs, a value outside an enum it knows; the reader: an object without a name) say the same
 * thing twice; the earlier one is kept.
 */
export function withoutSchemaDuplicates(server: readonly Problem[], schema: readonly Problem[]): Problem[] {
  const key = (p: Problem) =>
    [p.file, p.apiVersion ?? '', p.kind ?? '', p.namespace ?? '', p.name ?? '', pathSegments(p.path ?? '').join('\0')].join('\u0001');
  const reported = new Set(schema.map(key));
  return server.filter((p) => !reported.has(key(p)));
}
