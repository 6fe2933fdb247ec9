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
  if (repository.length > NAME_MAX) return `is longer than ${NAME_MAX} characters`;
  const slash = repository.indexOf('/');
  const first = slash === -1 ? '' : repository.slice(0, slash);
  const hasHost = slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  const path = hasHost ? repository.slice(slash + 1) : repository;
  if (hasHost && !DOMAIN_AND_PORT.test(first)) return `has a registry host "${first}" that is not a host name or host:port`;
  if (IMAGE_ID.test(path)) return 'is 64 hexadecimal characters, which is an image ID and not a repository name';
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
