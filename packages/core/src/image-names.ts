/**
 * The grammar of an image repository (`[host[:port]/]path[/path...]`), as the distribution
 * reference package that containerd and Docker parse names with defines it. A name it refuses is
 * one the kubelet refuses too (InvalidImageName), so it is refused before it is written anywhere.
 * The npm packages for this grammar are small and unmaintained; these few patterns are the grammar.
 */

/** Lower-case letters and digits, joined by one `.`, one `_`, `__` or any number of `-`. */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A host name of DNS labels or a bracketed IPv6 address, with an optional port. */
const DOMAIN_AND_PORT =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
/** An image ID, which the grammar keeps from being read as a repository name. */
const IMAGE_ID = /^[a-f0-9]{64}$/;
/** The longest name the grammar takes. */
const NAME_MAX = 255;

/**
 * Why `repository` is not a valid image repository, or undefined when it is. Like
 * `reference.ParseNormalizedNamed`, a first component with a `.` or `:`, or `localhost`, is the
 * registry host; a name without one is on Docker Hub.
 */
export function imageRepositoryProblem(repository: string): string | undefined {
  if (repository === '') return 'is empty';
  // The package bounds the path, with Docker Hub's library/ for a name of one component.
  const { remainder } = splitDomain(repository);
  if (remainder.length > NAME_MAX)
    return remainder === `library/${repository}`
      ? `is longer than ${NAME_MAX} characters with Docker Hub's library/ before it`
      : `is longer than ${NAME_MAX} characters`;
  if (IMAGE_ID.test(repository)) return 'is 64 hexadecimal characters, which is an image ID and not a repository name';
  const slash = repository.indexOf('/');
  const first = slash === -1 ? '' : repository.slice(0, slash);
  const hasHost = slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  const path = hasHost ? repository.slice(slash + 1) : repository;
  if (hasHost && !DOMAIN_AND_PORT.test(first)) return `has a registry host "${first}" that is not a host name or host:port`;
  const components = path.split('/');
  for (const [i, c] of components.entries()) {
    if (c === '') {
      if (i === 0 && !hasHost) return 'starts with an empty path component (a leading /)';
      if (i === components.length - 1) return 'ends with an empty path component (a trailing /)';
      return 'has an empty path component (//)';
    }
    if (c.toLowerCase() !== c) return `has the path component "${c}", which must be lower case`;
    if (!PATH_COMPONENT.test(c)) return `has the path component "${c}": use lower-case letters and digits, separated by one '.', '_', '__' or '-'s`;
  }
  return undefined;
}

// The whole reference, `[host[:port]/]path[:tag][@digest]`, as the distribution reference package
// (v0.6.0, regexp.go) writes it: the same patterns, composed the same way.
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REMOTE_NAME = `${COMPONENT}(?:/${COMPONENT})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const TAG_PATTERN = '[\\w][\\w.-]{0,127}';
const DIGEST_PATTERN = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${REMOTE_NAME})(?::(${TAG_PATTERN}))?(?:@(${DIGEST_PATTERN}))?$`);
const NAME = new RegExp(`^(?:(${DOMAIN})/)?(${REMOTE_NAME})$`);
/** The digest algorithms go-digest has linked in (crypto/sha256, crypto/sha512), with the length of their hex. */
const DIGEST_ALGORITHMS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/**
 * Docker Hub's `library/` for a one-component name, and the registry host split off as
 * `splitDockerDomain` does: the first component is a host when it is `localhost`, holds a `.` or
 * `:`, or is not lower case.
 */
function splitDomain(reference: string): { readonly domain: string; readonly remainder: string } {
  const slash = reference.indexOf('/');
  if (slash === -1) return { domain: 'docker.io', remainder: `library/${reference}` };
  const first = reference.slice(0, slash);
  const host = first === 'localhost' || first === 'index.docker.io' || /[.:]/.test(first) || first.toLowerCase() !== first;
  const domain = !host || first === 'index.docker.io' ? 'docker.io' : first;
  const remainder = host ? reference.slice(slash + 1) : reference;
  return { domain, remainder: domain === 'docker.io' && !remainder.includes('/') ? `library/${remainder}` : remainder };
}

/**
 * Why the container runtime cannot parse an image reference, in the words of the distribution
 * reference package (`reference.ParseNormalizedNamed`, which the kubelet and containerd parse every
 * image with before a pull), or undefined when it parses. Checked against that package by a
 * corpus of references (test/image-references.ts).
 */
export function imageReferenceError(reference: string): string | undefined {
  if (/^[a-f0-9]{64}$/.test(reference)) return `invalid repository name (${reference}), cannot specify 64-byte hexadecimal strings`;
  const { domain, remainder } = splitDomain(reference);
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) return `invalid reference format: repository name (${remote}) must be lowercase`;
  const normalized = `${domain}/${remainder}`;
  const match = REFERENCE.exec(normalized);
  if (!match) {
    const lower = normalized.toLowerCase();
    return lower !== normalized && REFERENCE.test(lower) ? 'repository name must be lowercase' : 'invalid reference format';
  }
  const path = NAME.exec(match[1]!)?.[2] ?? match[1]!;
  if (path.length > NAME_MAX) return `repository name must not be more than ${NAME_MAX} characters`;
  const digest = match[3];
  if (digest !== undefined) {
    const at = digest.indexOf(':');
    const size = DIGEST_ALGORITHMS[digest.slice(0, at)];
    const hex = digest.slice(at + 1);
    if (size === undefined) return 'unsupported digest algorithm';
    if (hex.length !== size) return 'invalid checksum digest length';
    if (!/^[a-f0-9]+$/.test(hex)) return 'invalid checksum digest format';
  }
  return undefined;
}
