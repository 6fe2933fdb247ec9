/**
 * The rules the API server applies to a CustomResourceDefinition's names and structure
 * (apiextensions' validation of a CRD on create, after its defaults: a missing singular is the kind
 * in lower case, a missing listKind the kind + "List"): names, scope, storage version, unique
 * version names and the approval a protected group needs. crd add builds file paths and schema
 * names from these names, and verify installs the CRD, so a CRD the server would refuse is refused
 * before anything is written, in one line that names the file, the field and how to fix it.
 */

import { isDns1035Label, isDnsSubdomain } from '@strata/core';

/** The names of a CRD as crd add reads them (anything the YAML holds). */
export interface CrdNames {
  readonly metadata?: { readonly name?: unknown; readonly annotations?: unknown };
  readonly spec?: {
    readonly group?: unknown;
    readonly scope?: unknown;
    readonly names?: {
      readonly plural?: unknown;
      readonly singular?: unknown;
      readonly kind?: unknown;
      readonly listKind?: unknown;
      readonly shortNames?: unknown;
      readonly categories?: unknown;
    };
    readonly versions?: readonly { readonly name?: unknown; readonly storage?: unknown }[];
    readonly preserveUnknownFields?: unknown;
    readonly conversion?: unknown;
  };
}

/** The annotation a CRD in a protected group (`k8s.io`, `kubernetes.io` and their subdomains) must carry. */
const APPROVAL = 'api-approved.kubernetes.io';
const APPROVAL_PR = 'see https://github.com/kubernetes/enhancements/pull/1111';
const SCOPES = ['Cluster', 'Namespaced'] as const;

const isProtectedGroup = (group: string) =>
  group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io');

/**
 * What the server makes of the approval annotation: a URL with a scheme and a host, or a reason
 * starting with "unapproved", is taken (Go's url.ParseRequestURI with both parts set).
 */
function approvalProblem(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : '';
  if (text === '') return `protected groups must have approval annotation "${APPROVAL}", ${APPROVAL_PR}`;
  if (text.startsWith('unapproved')) return undefined;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\s]+[^\s]*$/.test(text)) return undefined;
  return `${JSON.stringify(text)}: protected groups must have approval annotation "${APPROVAL}" with either a URL or a reason starting with "unapproved", ${APPROVAL_PR}`;
}

/** Versions of ConversionReview the server can send a conversion webhook. */
const REVIEW_VERSIONS = ['v1', 'v1beta1'];

const objectOf = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** The first rule `spec.conversion` breaks: a strategy of None or Webhook, and a webhook only, and always, with Webhook. */
function conversionBroken(value: unknown): Broken | undefined {
  const conversion = objectOf(value);
  if (value === undefined || value === null) return undefined;
  const strategy = conversion?.strategy;
  if (strategy !== 'None' && strategy !== 'Webhook') {
    return {
      path: 'spec.conversion.strategy',
      problem: `${strategy === undefined || strategy === '' ? 'is required' : `${JSON.stringify(strategy)} is not supported`}: supported values: "None", "Webhook"`,
      fix: 'use "None" when every version has the same fields, or "Webhook" with the webhook that converts them',
    };
  }
  const webhook = objectOf(conversion?.webhook);
  if (strategy === 'None') {
    if (webhook?.clientConfig !== undefined || webhook?.conversionReviewVersions !== undefined)
      return {
        path: 'spec.conversion.webhook',
        problem: 'should not be set when strategy is not set to Webhook',
        fix: 'remove it, or set strategy: Webhook',
      };
    return undefined;
  }
  const client = objectOf(webhook?.clientConfig);
  if (!client)
    return {
      path: 'spec.conversion.webhook.clientConfig',
      problem: 'required when strategy is set to Webhook',
      fix: 'name the service (or url) of the conversion webhook',
    };
  if ((client.url === undefined) === (client.service === undefined))
    return { path: 'spec.conversion.webhook.clientConfig', problem: 'exactly one of url or service is required', fix: 'keep one of them' };
  const clientBroken = client.url !== undefined ? webhookUrlBroken(client.url) : webhookServiceBroken(objectOf(client.service) ?? {});
  if (clientBroken) return clientBroken;
  const reviews = webhook?.conversionReviewVersions;
  if (!Array.isArray(reviews) || reviews.length === 0)
    return {
      path: 'spec.conversion.webhook.conversionReviewVersions',
      problem: 'is required',
      fix: `list the ConversionReview versions the webhook understands, such as ["v1"]`,
    };
  if (!reviews.some((v) => REVIEW_VERSIONS.includes(v as string)))
    return {
      path: 'spec.conversion.webhook.conversionReviewVersions',
      problem: `must include at least one of ${REVIEW_VERSIONS.join(', ')}`,
      fix: 'add "v1" if the webhook understands it',
    };
  return undefined;
}

const CLIENT = 'spec.conversion.webhook.clientConfig';
const URL_FORM = '; desired format: https://host[/path]';

/**
 * What the server refuses in a webhook's URL (k8s.io/apiserver's ValidateWebhookURL, over Go's
 * url.Parse): a scheme other than https, no host, user information, a query or a fragment.
 */
function webhookUrlBroken(value: unknown): Broken | undefined {
  const url = typeof value === 'string' ? value : '';
  const fix = 'give the webhook\'s https URL with a host and a path only, such as "https://convert.example.com/widgets"';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase() ?? '';
  const rest = scheme ? url.slice(scheme.length + 1) : url;
  const hash = rest.indexOf('#');
  const beforeFragment = hash < 0 ? rest : rest.slice(0, hash);
  const question = beforeFragment.indexOf('?');
  const hierarchy = question < 0 ? beforeFragment : beforeFragment.slice(0, question);
  const authority = hierarchy.startsWith('//') ? hierarchy.slice(2).split('/')[0]! : '';
  const at = authority.lastIndexOf('@');
  const host = at < 0 ? authority : authority.slice(at + 1);
  const path = `${CLIENT}.url`;
  if (scheme !== 'https') return { path, problem: `"${scheme}": 'https' is the only allowed URL scheme${URL_FORM}`, fix };
  if (host === '') return { path, problem: `host must be specified${URL_FORM}`, fix };
  if (at >= 0) return { path, problem: 'user information is not permitted in the URL', fix };
  if (hash >= 0 && hash < rest.length - 1) return { path, problem: 'fragments are not permitted in the URL', fix };
  if (question >= 0 && question < beforeFragment.length - 1) return { path, problem: 'query parameters are not permitted in the URL', fix };
  return undefined;
}

/** What the server refuses in a webhook's service (ValidateWebhookService): no name or namespace, a port out of range, a path not of DNS-1123 segments. */
function webhookServiceBroken(service: Record<string, unknown>): Broken | undefined {
  const at = `${CLIENT}.service`;
  if (typeof service.name !== 'string' || service.name === '')
    return { path: `${at}.name`, problem: 'service name is required', fix: 'name the Service of the webhook' };
  if (typeof service.namespace !== 'string' || service.namespace === '')
    return { path: `${at}.namespace`, problem: 'service namespace is required', fix: "give the namespace of the webhook's Service" };
  const port = service.port ?? 443;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    return {
      path: `${at}.port`,
      problem: `${String(port)}: port is not valid: must be between 1 and 65535, inclusive`,
      fix: 'give the Service port the webhook listens on',
    };
  const path = typeof service.path === 'string' ? service.path : '';
  if (path === '' || path === '/') return undefined;
  const fix = 'write the path as "/" then segments of lower-case letters, digits, "-" and ".", such as "/convert"';
  const broken = (problem: string) => ({ path: `${at}.path`, problem: `${JSON.stringify(path)}: ${problem}`, fix });
  if (path === '//') return broken('segment[0] may not be empty');
  if (!path.startsWith('/')) return broken("must start with a '/'");
  const steps = path.slice(1).replace(/\/$/, '').split('/');
  for (const [i, step] of steps.entries()) {
    if (step === '') return broken(`segment[${i}] may not be empty`);
    if (!isDnsSubdomain(step))
      return broken(`segment[${i}]: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`);
  }
  return undefined;
}

/** The names listed under `field` (shortNames, categories) that are not DNS-1035 labels. */
function labels(path: string, list: unknown, what: string): Broken | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const [i, value] of list.entries()) {
    const broken = label(`${path}[${i}]`, value, what);
    if (broken) return broken;
  }
  return undefined;
}

const LABEL_1035 =
  'a DNS-1035 label (lower-case letters, digits and "-", starting with a letter and ending with a letter or digit, at most 63 characters)';
const KIND =
  'letters, digits and "-", starting with a letter and ending with a letter or digit, at most 63 characters (a DNS-1035 label once in lower case)';
const SUBDOMAIN =
  'a DNS-1123 subdomain (lower-case letters, digits, "-" and ".", each part starting and ending with a letter or digit, at most 253 characters)';

/** One broken rule: the field, what is wrong with its value, and how to fix it. */
interface Broken {
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
}

/** A DNS-1035 label made of `value`: lower case, other characters as "-", a letter first; undefined when nothing is left. */
function asLabel(value: string): string | undefined {
  const s = value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return isDns1035Label(s) ? s : undefined;
}

/** A kind made of `value`: its letters and digits, a letter first, as long as a label allows. */
function asKind(value: string, room = 63): string | undefined {
  const s = value
    .replace(/[^A-Za-z0-9]+/g, '')
    .replace(/^[^A-Za-z]+/, '')
    .slice(0, room);
  return isDns1035Label(s.toLowerCase()) ? s : undefined;
}

const such = (s: string | undefined) => (s ? `, such as ${JSON.stringify(s)}` : '');

function label(path: string, value: unknown, what: string): Broken | undefined {
  if (typeof value === 'string' && isDns1035Label(value)) return undefined;
  const text = typeof value === 'string' ? value : '';
  return { path, problem: `${JSON.stringify(value ?? '')} must be ${LABEL_1035}`, fix: `rename the ${what}${such(asLabel(text))}` };
}

/** The first name rule the CRD breaks, or undefined when the server takes its names. */
function firstBroken(crd: CrdNames): Broken | undefined {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  const { group } = spec;
  if (typeof group !== 'string' || !isDnsSubdomain(group)) {
    const text = typeof group === 'string' ? group.toLowerCase().replace(/[^a-z0-9.-]+/g, '-') : '';
    return {
      path: 'spec.group',
      problem: `${JSON.stringify(group ?? '')} must be ${SUBDOMAIN}`,
      fix: `use a domain the project owns, in lower case${such(isDnsSubdomain(text) && text.includes('.') ? text : undefined)}`,
    };
  }
  if (!group.includes('.')) {
    return {
      path: 'spec.group',
      problem: `${JSON.stringify(group)} must be a domain with at least one dot`,
      fix: `use a domain the project owns${such(`${group}.example.com`)}`,
    };
  }
  const plural = label('spec.names.plural', names.plural, 'plural (the resource of the API path)');
  if (plural) return plural;
  const name = crd.metadata?.name;
  const wanted = `${names.plural as string}.${group}`;
  if (name !== wanted) {
    return {
      path: 'metadata.name',
      problem: `must be named ${wanted} (<plural>.<group>)`,
      fix: 'rename it, or fix spec.names.plural or spec.group',
    };
  }
  if (!isDnsSubdomain(wanted)) {
    return {
      path: 'metadata.name',
      problem: `${JSON.stringify(wanted)} (spec.names.plural + "." + spec.group) must be ${SUBDOMAIN}`,
      fix: 'shorten spec.names.plural or spec.group',
    };
  }
  const { kind } = names;
  if (typeof kind !== 'string' || !isDns1035Label(kind.toLowerCase())) {
    return {
      path: 'spec.names.kind',
      problem: `${JSON.stringify(kind ?? '')} must be ${KIND}`,
      fix: `rename the kind${such(asKind(typeof kind === 'string' ? kind : ''))}`,
    };
  }
  // The server's defaults, checked as it checks them.
  const singular = names.singular === undefined || names.singular === '' ? kind.toLowerCase() : names.singular;
  const brokenSingular = label('spec.names.singular', singular, 'singular');
  if (brokenSingular) return brokenSingular;
  const given = names.listKind !== undefined && names.listKind !== '';
  const listKind = given ? names.listKind : `${kind}List`;
  if (typeof listKind !== 'string' || !isDns1035Label(listKind.toLowerCase())) {
    return given
      ? {
          path: 'spec.names.listKind',
          problem: `${JSON.stringify(listKind ?? '')} must be ${KIND}`,
          fix: `rename the list kind${such(asKind(typeof listKind === 'string' ? listKind : ''))}`,
        }
      : {
          path: 'spec.names.kind',
          problem: `${JSON.stringify(kind)} makes the list kind ${JSON.stringify(listKind)}, which must be ${KIND}`,
          fix: `shorten the kind to at most 59 characters${such(asKind(kind, 59))}, or set spec.names.listKind`,
        };
  }
  if (listKind === kind)
    return {
      path: 'spec.names.listKind',
      problem: `${JSON.stringify(listKind)} must differ from the kind`,
      fix: `name it ${JSON.stringify(`${kind}List`)}`,
    };
  const other = labels('spec.names.shortNames', names.shortNames, 'short name') ?? labels('spec.names.categories', names.categories, 'category');
  if (other) return other;
  const versions = spec.versions ?? [];
  for (const [i, version] of versions.entries()) {
    const broken = label(`spec.versions[${i}].name`, version?.name, 'version (it is the version of the API path and of the schema file)');
    if (broken) return broken;
  }
  const twice = versions.find((v, i) => versions.findIndex((w) => w?.name === v?.name) < i);
  if (twice) {
    return {
      path: 'spec.versions',
      problem: `must contain unique version names (${JSON.stringify(twice.name)} is listed twice)`,
      fix: 'merge the two into one entry, or rename one',
    };
  }
  const stored = versions.filter((v) => v?.storage === true).map((v) => JSON.stringify(v.name));
  if (stored.length !== 1) {
    return {
      path: 'spec.versions',
      problem: `must have exactly one version marked as storage version (${stored.length === 0 ? 'none is' : `${stored.join(' and ')} are`})`,
      fix:
        stored.length === 0
          ? 'set storage: true on the version the cluster stores objects as'
          : 'keep storage: true on the version the cluster stores objects as, and set storage: false on the others',
    };
  }
  const { scope } = spec;
  if (!SCOPES.some((s) => s === scope)) {
    const close = typeof scope === 'string' ? SCOPES.find((s) => s.toLowerCase() === scope.toLowerCase()) : undefined;
    return {
      path: 'spec.scope',
      problem: `${scope === undefined || scope === '' ? 'is required' : `${JSON.stringify(scope)} is not supported`}: supported values: "Cluster", "Namespaced"`,
      fix: close ? `write it ${JSON.stringify(close)}` : 'set "Namespaced" for objects that live in a namespace, or "Cluster"',
    };
  }
  if (spec.preserveUnknownFields === true) {
    return {
      path: 'spec.preserveUnknownFields',
      problem: 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
      fix: 'remove it, and mark the objects whose unknown fields are kept in the schema',
    };
  }
  const conversion = conversionBroken(spec.conversion);
  if (conversion) return conversion;
  if (isProtectedGroup(group)) {
    const annotations = crd.metadata?.annotations;
    const value = annotations !== null && typeof annotations === 'object' ? (annotations as Record<string, unknown>)[APPROVAL] : undefined;
    const problem = approvalProblem(value);
    if (problem) {
      return {
        path: `metadata.annotations[${APPROVAL}]`,
        problem,
        fix: `use a group the project owns instead of one under k8s.io or kubernetes.io, or set the annotation to the URL of the approved API review`,
      };
    }
  }
  return undefined;
}

/**
 * Why the API server refuses the names of a CRD read from `where`, in one line naming the file,
 * the CRD and the field, and saying how to fix it; undefined when it takes them.
 */
export function crdNameProblem(crd: CrdNames, where: string): string | undefined {
  const broken = firstBroken(crd);
  if (!broken) return undefined;
  const name = crd.metadata?.name;
  return `${where}: CustomResourceDefinition ${typeof name === 'string' && name ? name : '(unnamed)'}: ${broken.path}: ${broken.problem}, as the API server requires; ${broken.fix}`;
}
