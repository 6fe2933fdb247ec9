import { posix } from 'node:path';

// Which paths kustomize v5.8.1 clones as a git repository: `git.NewRepoSpecFromURL` of its api
// v0.21.1 (internal/git/repospec.go), which its loader (`FileLoader.New`) tries before it looks for
// a folder of that name, so a spec it accepts is cloned whatever the tree holds. The same decision,
// step by step; change it with the pinned kustomize.

const SCHEMES = ['ssh://', 'https://', 'http://', 'file://'] as const;

const trimPrefixIgnoreCase = (s: string, prefix: string): [string, boolean] =>
  prefix.length <= s.length && s.slice(0, prefix.length).toLowerCase() === prefix ? [s.slice(prefix.length), true] : [s, false];

/** The host part and the rest (`extractHost`), or undefined where kustomize refuses the spec. */
function extractHost(spec: string): [string, string] | undefined {
  // `git::` is stripped (ignoreForcedGitProtocol).
  let [n] = trimPrefixIgnoreCase(spec, 'git::');
  let scheme = '';
  for (const prefix of SCHEMES) {
    const [rest, found] = trimPrefixIgnoreCase(n, prefix);
    if (found) {
      scheme = prefix;
      n = rest;
      break;
    }
  }
  const user = /^([a-zA-Z][a-zA-Z0-9-]*)@/.exec(n)?.[0] ?? '';
  n = n.slice(user.length);
  const lower = n.toLowerCase();
  const github = lower.startsWith('github.com/') || lower.startsWith('github.com:');
  // Without a scheme only the SCP style is taken: a user (`git@host:org/repo`) or GitHub (`github.com:org/repo`).
  const scp = scheme === '' && (user !== '' || github);
  if (scheme === '' && !scp) return undefined;
  if (scheme === 'file://') return [scheme, user + n];
  let sep = n.indexOf('/');
  if (scp) {
    const colon = n.indexOf(':');
    if (sep === -1 || (colon > 0 && colon < sep)) sep = colon;
  }
  const host = sep >= 0 ? n.slice(0, sep + 1) : n;
  if (host === '' && !github) return undefined;
  return [scheme + user + host, sep >= 0 ? n.slice(sep + 1) : ''];
}

/** Whether the path after the host splits into a repository and a path in it (`parsePathParts`). */
function splitsIntoRepo(n: string, file: boolean): boolean {
  let repo: string;
  let rest: string;
  const gitRoot = n.indexOf('_git/');
  const repoRoot = n.indexOf('//');
  const gitSuffix = n.indexOf('.git');
  if (gitRoot >= 0) {
    const sub = n.slice(gitRoot + '_git/'.length).split('/');
    repo = n.slice(0, gitRoot + '_git/'.length) + sub[0];
    rest = sub.slice(1).join('/');
  } else if (repoRoot >= 0) {
    repo = n.slice(0, repoRoot);
    rest = n.slice(repoRoot + 2);
  } else if (gitSuffix >= 0) {
    repo = n.slice(0, gitSuffix + '.git'.length);
    rest = n.slice(gitSuffix + '.git'.length);
  } else if (file) {
    repo = n;
    rest = '';
  } else {
    const segments = n.split('/');
    if (segments.length < 2) return false;
    repo = segments.slice(0, 2).join('/');
    rest = segments.slice(2).join('/');
  }
  if (repo === '') return false;
  // A path that leaves the repository is refused.
  return posix.normalize(rest.replace(/^\/+/, '') || '.').split('/')[0] !== '..';
}

/**
 * Whether kustomize v5.8.1 takes `path` (a resources, bases, components, generators, transformers
 * or validators entry) for a git repository and clones it rather than reading the tree:
 * `github.com/org/repo` in any case, `git::…`, `git@host:org/repo`, `github.com:org/repo`, and any
 * `https://`, `http://`, `ssh://` or `file://` URL with an `org/repo`, a `_git/`, a `//` or a `.git`.
 */
export function isRepoSpec(path: string): boolean {
  if (path.startsWith('/')) return false;
  const [spec] = path.split('?', 1) as [string];
  const hostAndRest = extractHost(spec);
  if (!hostAndRest) return false;
  const [host, rest] = hostAndRest;
  return splitsIntoRepo(rest, host.startsWith('file://'));
}
