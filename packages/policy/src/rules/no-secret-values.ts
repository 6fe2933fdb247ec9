import { groupKind, scopeOf } from '@strata/schemas';
import { at, finding, findObject, list, nameOf, namespaceOf, ofKind, rec, str } from '../read.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'no-secret-values';

/** Where an External Secrets kind keeps its template, and whether it pushes what it renders. */
interface TemplateKind {
  readonly spec: readonly string[];
  readonly push?: true;
}

/**
 * Where the External Secrets kinds keep the template of what they write, by group and kind (a
 * custom `ExternalSecret` of another group is a kind of its own): an ExternalSecret renders it from
 * fetched data into a Secret of the cluster; a PushSecret from its source Secret's data into the
 * entries it pushes to its secret stores.
 */
const TEMPLATES: ReadonlyMap<string, TemplateKind> = new Map([
  ['external-secrets.io/ExternalSecret', { spec: ['spec'] }],
  ['external-secrets.io/ClusterExternalSecret', { spec: ['spec', 'externalSecretSpec'] }],
  ['external-secrets.io/PushSecret', { spec: ['spec'], push: true }],
  ['external-secrets.io/ClusterPushSecret', { spec: ['spec', 'pushSecretSpec'], push: true }],
]);

/** What one Go template (text/template, as External Secrets renders it) holds. */
interface Template {
  /** An action reads the fetched data: a field (`.password`), the data itself (`index . "pw"`) or a variable (`$`). */
  readonly reads: boolean;
  /** It writes text of its own: characters outside the actions, or a quoted string inside one (`{{ "hunter2" }}`). */
  readonly literal: boolean;
  /**
   * The text with every action that reads the data or makes a value of its own (`randAlphaNum 32`)
   * replaced by NUL, to see which part of the output the fetched data fills; a constant action
   * (`{{ "hunter2" }}`) is replaced by its text, or by SOH where it does more than quote a string.
   */
  readonly shape: string;
}

// What reads the data, once the action's strings are taken out: `$`, or a `.` that starts a field or
// stands alone (not the `.` of a number such as 1.5).
const READS_DATA = /\$|(^|[\s(|,=])\.(?![0-9])/;

/**
 * Reads a Go template's actions by hand: no maintained JavaScript parser of text/template exists, and
 * only the delimiters, strings and comments matter here. A `{{` without its `}}` is text: External
 * Secrets refuses to render it, but the text is committed all the same.
 */
function readTemplate(text: string): Template {
  let reads = false;
  let literal = false;
  let shape = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    const end = open < 0 ? undefined : actionEnd(text, open + 2);
    if (!end || end.close < 0) {
      const rest = text.slice(i);
      if (rest.trim() !== '') literal = true;
      shape += rest;
      break;
    }
    const before = text.slice(i, open);
    if (before.trim() !== '') literal = true;
    shape += before;
    if (end.strings.length > 0) literal = true;
    if (READS_DATA.test(end.code)) reads = true;
    shape += constantText(end) ?? '\u0000';
    i = end.close + 2;
  }
  return { reads, literal, shape };
}

/** One action: where its `}}` is, its code with each string and comment blanked, and the strings it quotes. */
interface Action {
  readonly close: number;
  readonly code: string;
  readonly strings: readonly string[];
}

// Functions whose result depends on their arguments alone (text/template's and Sprig's string
// functions): an action of only these and quoted strings writes the same text on every render.
const PURE = new Set(
  'print printf println quote squote lower upper title trim trimAll trimPrefix trimSuffix replace b64enc b64dec cat nospace repeat toString html js urlquery'.split(
    ' ',
  ),
);

/**
 * The text a constant action writes: one that reads no data and calls nothing but PURE functions on
 * quoted strings (`{{ "hunter2" }}`, `{{ printf "%s" "hunter2" }}`). A lone string is its own text;
 * anything else is SOH, a literal whose exact text does not matter. Undefined for any other action.
 */
function constantText(action: Action): string | undefined {
  if (action.strings.length === 0 || READS_DATA.test(action.code)) return undefined;
  const code = action.code.replace(/^\s*-(?=\s)/, '').replace(/(?<=\s)-\s*$/, '');
  if (!/^[\s|()\w]*$/.test(code)) return undefined;
  const names = code.match(/[A-Za-z_]\w*/g) ?? [];
  if (!names.every((n) => PURE.has(n))) return undefined;
  return names.length === 0 && action.strings.length === 1 ? action.strings[0] : '\u0001';
}

/** The action that starts at `from` (just after `{{`). */
function actionEnd(text: string, from: number): Action {
  let code = '';
  const strings: string[] = [];
  let i = from;
  // A comment, {{/* ... */}} with or without trim markers, writes nothing.
  const comment = /^-?\s*\/\*[\s\S]*?\*\/\s*-?(?=}})/.exec(text.slice(i));
  if (comment) return { close: i + comment[0].length, code: '', strings: [] };
  while (i < text.length) {
    const c = text[i]!;
    if (text.startsWith('}}', i)) return { close: i, code, strings };
    if (c === '"' || c === '`' || c === "'") {
      const quote = c;
      const start = ++i;
      while (i < text.length && text[i] !== quote) i += quote !== '`' && text[i] === '\\' ? 2 : 1;
      if (i >= text.length) return { close: -1, code, strings };
      if (quote !== "'") strings.push(text.slice(start, i));
      code += ' ';
      i++;
      continue;
    }
    code += c;
    i++;
  }
  return { close: -1, code, strings };
}

// A URL whose userinfo holds a password: scheme://user:password@host.
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:([^\s/@]+)@/gi;

// A libpq key/value connection string's password: password=value or password='quoted value'.
const DSN_PASSWORD = /(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']+)/g;

/** What a template reads, and where External Secrets writes its text. */
interface Subject {
  /** `fetched data`, or `the data of its source Secret`. */
  readonly reads: string;
  /** `writes`, or `pushes`. */
  readonly verb: string;
  /** `into the Secret "db"`, or `to its secret stores`. */
  readonly into: string;
}

/**
 * How a template value commits a secret, after its subject: undefined when it does not. A value that
 * reads the data may hold literal text around it (`postgres://admin:{{ .password }}@db`: a user
 * name, a host), except a URL's password.
 */
function committed(value: string, subject: Subject): string | undefined {
  const t = readTemplate(value);
  if (!t.reads && t.literal) return `reads no ${subject.reads}, and External Secrets ${subject.verb} its text ${subject.into} as it stands`;
  for (const m of t.shape.matchAll(URL_PASSWORD)) {
    if (!m[1]?.includes('\u0000')) return `holds a URL whose password is literal text, which External Secrets ${subject.verb} ${subject.into}`;
  }
  for (const m of t.shape.matchAll(DSN_PASSWORD)) {
    const password = m[1] ?? '';
    if (password !== "''" && !password.includes('\u0000'))
      return `holds a connection string whose password is literal text, which External Secrets ${subject.verb} ${subject.into}`;
  }
  return undefined;
}

/** The text of a scalar map value, as External Secrets would see it; undefined for a mapping or list. */
const scalarText = (v: unknown) =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : undefined;

/**
 * The template values of an External Secrets kind that commit a secret value, each at its path: an
 * ExternalSecret's (or ClusterExternalSecret's) `target.template`, a PushSecret's (or
 * ClusterPushSecret's) `template`, whose text is pushed to the secret stores.
 */
function templateFindings(
  o: PolicyObject,
  kind: TemplateKind,
  objects: readonly PolicyObject[],
  applied: string,
  scope: Scoper,
  uses: ConfigMapUses,
): RuleFinding[] {
  const spec = at(o.manifest, ...kind.spec);
  const path = kind.push ? [...kind.spec, 'template'] : [...kind.spec, 'target', 'template'];
  const template = rec(at(o.manifest, ...path));
  if (!template) return [];
  const prefix = path.join('.');
  const targetName = str(at(spec, 'target', 'name'));
  const subject: Subject = kind.push ? PUSHED : { ...WRITTEN, into: `into ${targetName ? `the Secret "${targetName}"` : 'the Secret it makes'}` };
  const fix = kind.push
    ? 'keep the value in the source Secret (made in the cluster, never committed) and read it in the template ({{ .key }}), or keep a value that is not secret out of the pushed data'
    : 'keep the value in the secret store and fetch it (a data entry, then {{ .key }} in the template), or keep a value that is not secret in a ConfigMap';
  // A ConfigMap's value is judged as a template: keeping the secret in a ConfigMap is no fix.
  const templateFix = kind.push
    ? 'keep the value in the source Secret (made in the cluster, never committed) and read it in the template ({{ .key }})'
    : 'keep the value in the secret store and fetch it (a data entry, then {{ .key }} in the template)';
  const out: RuleFinding[] = [];
  for (const [key, v] of Object.entries(rec(template.data) ?? {})) {
    const text = scalarText(v);
    const why = text === undefined ? undefined : committed(text, subject);
    if (why) out.push(finding(id, o, `template value ${key} ${why}, so the secret lives in the repository: ${fix}`, `${prefix}.data.${key}`));
  }
  list(template.templateFrom).forEach((entry, i) => {
    const literal = str(at(entry, 'literal'));
    const target = str(at(entry, 'target')) ?? 'Data';
    if (target.toLowerCase() !== 'data') return;
    configMapUses(o, entry, i, kind.push === true, targetName, templateFix, objects, applied, scope, uses);
    if (literal === undefined) return;
    const why = committed(literal, subject);
    if (why)
      out.push(
        finding(id, o, `templateFrom ${i}'s literal ${why}, so the secret lives in the repository: ${fix}`, `${prefix}.templateFrom[${i}].literal`),
      );
  });
  return out;
}

const PUSHED: Subject = { reads: 'data of its source Secret', verb: 'pushes', into: 'to its secret stores' };
const WRITTEN = { reads: 'fetched data', verb: 'writes' } as const;

/** One key of a ConfigMap of the set that templateFrom entries render, with every kind that renders it. */
interface ConfigMapUse {
  readonly configMap: PolicyObject;
  readonly key: string;
  readonly text: string;
  readonly users: {
    readonly label: string;
    readonly who: string;
    readonly push: boolean;
    readonly target: string | undefined;
    readonly fix: string;
  }[];
}

/** The ConfigMap keys rendered as templates, by ConfigMap and key, in the order first met. */
type ConfigMapUses = Map<PolicyObject, Map<string, ConfigMapUse>>;

/** The scope of a kind, by group and kind (see `scopeOf` of @strata/schemas). */
type Scoper = ReturnType<typeof scopeOf>;

/**
 * Records the values of a ConfigMap of the set that a templateFrom entry names: External Secrets
 * renders each listed key's value (as Values, or as KeysAndValues, a YAML map of keys and values)
 * into the Secret's data. An ExternalSecret or PushSecret reads the ConfigMap from its own
 * namespace; a cluster kind from each namespace it makes one in, so any of the set's ConfigMaps of
 * that name. They are judged once all users are known (configMapFindings).
 */
function configMapUses(
  o: PolicyObject,
  entry: unknown,
  i: number,
  push: boolean,
  target: string | undefined,
  fix: string,
  objects: readonly PolicyObject[],
  applied: string,
  scope: Scoper,
  uses: ConfigMapUses,
): void {
  const name = str(at(entry, 'configMap', 'name'));
  if (name === undefined) return;
  const configMaps =
    scope(o.manifest) === 'Cluster'
      ? ofKind(objects, 'ConfigMap').filter((c) => nameOf(c) === name)
      : [findObject(objects, 'ConfigMap', name, namespaceOf(o, applied), applied)].filter((c) => c !== undefined);
  for (const cm of configMaps) {
    for (const item of list(at(entry, 'configMap', 'items'))) {
      const key = str(at(item, 'key'));
      const text = key === undefined ? undefined : scalarText(at(cm.manifest, 'data', key));
      if (key === undefined || text === undefined) continue;
      const byKey = uses.get(cm) ?? new Map<string, ConfigMapUse>();
      uses.set(cm, byKey);
      const use = byKey.get(key) ?? { configMap: cm, key, text, users: [] };
      byKey.set(key, use);
      const who = `${o.manifest.kind} "${nameOf(o) ?? ''}"`;
      const label = `${who} (templateFrom ${i})`;
      if (!use.users.some((u) => u.label === label)) use.users.push({ label, who, push, target, fix });
    }
  }
}

const joinAnd = (items: readonly string[]) => (items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/**
 * One finding per ConfigMap key that commits a secret, at the ConfigMap's own data field, naming
 * every kind that renders it: a ConfigMap shared by two ExternalSecrets holds the secret once, and
 * moving it out fixes both.
 */
function configMapFindings(uses: ConfigMapUses): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const use of [...uses.values()].flatMap((byKey) => [...byKey.values()])) {
    const whys: string[] = [];
    const written = use.users.filter((u) => !u.push);
    if (written.length > 0) {
      const named = [...new Set(written.flatMap((u) => (u.target === undefined ? [] : [`"${u.target}"`])))];
      const unnamed = written
        .filter((u) => u.target === undefined)
        .map((u) => (written.length === 1 ? 'the Secret it makes' : `the Secret ${u.who} makes`));
      const secrets = [...(named.length > 0 ? [`${named.length === 1 ? 'the Secret' : 'the Secrets'} ${joinAnd(named)}`] : []), ...unnamed];
      const why = committed(use.text, { ...WRITTEN, into: `into ${joinAnd(secrets)}` });
      if (why) whys.push(why);
    }
    if (use.users.some((u) => u.push)) {
      const why = committed(use.text, PUSHED);
      if (why) whys.push(why);
    }
    if (whys.length === 0) continue;
    const users = joinAnd(use.users.map((u) => u.label));
    const fix = [...new Set(use.users.map((u) => u.fix))].join('; or ');
    const renders = use.users.length === 1 ? users.replace(/ \(templateFrom \d+\)$/, ' renders$&') : `${users} render`;
    out.push(
      finding(
        id,
        use.configMap,
        `value ${use.key} is a template that ${renders} and ${whys.join(', and ')}, so the secret lives in the repository: ${fix}`,
        `data.${use.key}`,
      ),
    );
  }
  return out;
}

/**
 * Whatever is committed or applied from this repository is readable by everyone who can read the
 * repository, so a Secret's values (or a generator's literals, or the literal text External Secrets
 * renders into one) must come from elsewhere.
 */
export const noSecretValues: Rule = {
  id,
  description:
    'No Secret carries values, no secretGenerator holds literals, and no ExternalSecret or ClusterExternalSecret template writes literal text into its Secret, nor a PushSecret or ClusterPushSecret template into what it pushes to its secret stores: a template value (or templateFrom literal, or listed key of a templateFrom ConfigMap of the set) that reads no fetched data (for a PushSecret: no data of its source Secret), or that holds a URL or key/value connection string whose password is literal (a quoted string constant in an action is literal), is a committed secret; one that reads fetched data may hold literal text around it (a user name, a host): secret values never live in the repository.',
  defaultSeverity: 'error',
  check(objects, ctx) {
    const out: RuleFinding[] = [];
    const applied = ctx.applyNamespace ?? '';
    const uses: ConfigMapUses = new Map();
    // A cluster kind renders its templates in each namespace it selects, as its CRD scopes it.
    const scope = scopeOf(objects.map((o) => o.manifest));
    for (const o of objects) {
      const m = o.manifest;
      if (m.kind === 'Secret' && m.apiVersion === 'v1') {
        for (const field of ['data', 'stringData'] as const) {
          if (Object.keys(rec(m[field]) ?? {}).length === 0) continue;
          out.push(
            finding(id, o, 'a Secret with values must not be committed; reference it (secretKeyRef) or produce it with an ExternalSecret', field),
          );
        }
      }
      const kind = TEMPLATES.get(groupKind(m.apiVersion, m.kind));
      if (kind) out.push(...templateFindings(o, kind, objects, applied, scope, uses));
      if (m.kind === 'Kustomization' && m.apiVersion.startsWith('kustomize.config.k8s.io/')) {
        list(at(m, 'secretGenerator')).forEach((g, i) => {
          if (list(at(g, 'literals')).length === 0) return;
          out.push(
            finding(
              id,
              o,
              `secretGenerator ${str(at(g, 'name')) ?? ''} holds literal values; feed it from an untracked env file or use an ExternalSecret`,
              `secretGenerator[${i}].literals`,
            ),
          );
        });
      }
    }
    out.push(...configMapFindings(uses));
    return out;
  },
};
