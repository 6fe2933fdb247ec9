import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCachedBuild, helperBinary, onLines, ToolMissingError } from '@strata/project';

/** The Kubernetes release whose API server code the helper links (helper/go.mod). */
export const KUBERNETES_VERSION = 'v1.36.3';

/** The Go main of the helper, next to this package's sources. */
export const HELPER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'helper');

const TARGET = 'server-validation' as const;

/** The command that builds the helper, as users are told to run it. */
export const INSTALL_COMMAND = `node scripts/install-servers.mjs ${TARGET}`;

const INSTALL_HINT =
  `run \`${INSTALL_COMMAND}\` (builds it from k8s.io/kubernetes ${KUBERNETES_VERSION} with Go into ~/.cache/strata/servers, shared by every checkout; ` +
  'minutes on 2 cores, once per machine), or point STRATA_SERVER_VALIDATION at a build of packages/server-validation/helper';

/** One error the API server would give for a field of the object. */
export interface FieldError {
  /** The field in dotted form (`spec.template.spec.containers[0].image`); empty for the object as a whole. */
  readonly path: string;
  /**
   * The server's cause type (`FieldValueInvalid`, `FieldValueRequired`, ...), or `UnknownField` and
   * `DuplicateField` for what strict decoding refuses.
   */
  readonly type: string;
  /** The server's message for that field (`Invalid value: -1: must be greater than or equal to 0`). */
  readonly message: string;
}

/** The helper's judgement of one object. */
export interface Verdict {
  /**
   * False when the object is not a built-in kind the helper checks (a custom resource, a version the
   * server does not serve by default): `reason` says which, and nothing was checked.
   */
  readonly checked: boolean;
  readonly reason?: string;
  /**
   * With `checked` false: the kind is one kube-apiserver serves by default, but its create needs a
   * cluster (a Binding needs its Pod, a review the cluster's authenticator or authorizer), so only
   * `strata verify` can check it.
   */
  readonly needsCluster?: boolean;
  /** Empty when the server would accept the object. */
  readonly errors: readonly FieldError[];
  /** What the server would send back as warnings on create (deprecated fields and the like). */
  readonly warnings: readonly string[];
}

/**
 * The cached helper's path for the current source. Named by the hash of main.go, go.mod and go.sum
 * (by the per-machine cache of @strata/project, which builds it), so a checkout at another version
 * never runs a stale one.
 */
export function helperPath(): string {
  return helperBinary();
}

/** The helper to run: $STRATA_SERVER_VALIDATION, else the cached build; undefined when not built. */
export function resolveHelper(): string | undefined {
  const explicit = process.env.STRATA_SERVER_VALIDATION;
  if (explicit) {
    if (!existsSync(explicit)) throw new ToolMissingError(`STRATA_SERVER_VALIDATION=${explicit} does not exist`, INSTALL_HINT);
    return explicit;
  }
  const cached = helperPath();
  return existsSync(cached) ? cached : undefined;
}

/**
 * The helper, built first when it is missing (once per machine, by the shared cached build, which
 * waits for a build already under way). The build's progress lines go to `onProgress` as they come.
 */
export async function ensureHelper(onProgress?: (line: string) => void): Promise<string> {
  const found = resolveHelper();
  if (found) return found;
  const [path] = await ensureCachedBuild(TARGET, 'the server validation helper', INSTALL_HINT, onProgress);
  return path!;
}

interface HelperAnswer {
  readonly id: number;
  readonly checked: boolean;
  readonly reason?: string;
  readonly needsCluster?: boolean;
  readonly errors: readonly { field: string; type: string; message: string }[];
  readonly warnings: readonly string[];
}

/** A running helper: objects go in as they come, verdicts come back as they are ready. */
export interface HelperSession {
  /** The server's verdict on one object (a manifest as parsed from YAML or JSON). Rejects only when the helper fails. */
  check(object: unknown): Promise<Verdict>;
  /** The same for an object already serialised as JSON (one JSON value, no line breaks outside strings). */
  checkJson(json: string): Promise<Verdict>;
  /**
   * Checks a CustomResourceDefinition as the server does on create and, when the server would store
   * it, checks the custom resources of its kind sent after it against it: the schema of their
   * version, unknown fields, defaults, the CEL rules. The verdict is the CRD's own (`errors` empty
   * when it was registered).
   */
  registerCrd(crd: unknown): Promise<Verdict>;
  /** Sends no more objects; resolves when every answer is in and the process has ended. */
  close(): Promise<void>;
}

/** How the helper checks: how many objects at a time, and the node ports the cluster gives Services. */
export interface HelperOptions {
  /** @default one per core */
  readonly concurrency?: number;
  /** Both ends included, as kube-apiserver's --service-node-port-range. @default 30000-32767, its own */
  readonly serviceNodePortRange?: { readonly from: number; readonly to: number };
}

/**
 * Starts the helper once; it answers any number of objects, `concurrency` at a time (default: one
 * per core). Its start costs about 0.15 s (the server's scheme is built at init), each object about
 * 0.3 ms of CPU, mostly the server's own decoding and label and name checks.
 */
export function startHelper(binary: string, options: HelperOptions = {}): HelperSession {
  // The server's decoding allocates a lot and keeps nothing past an answer: collecting when the heap
  // has grown elevenfold (or reaches 300 MiB) instead of doubled costs the collector far less.
  const env = process.env.GOGC || process.env.GOMEMLIMIT ? process.env : { ...process.env, GOGC: '1000', GOMEMLIMIT: '300MiB' };
  const range = options.serviceNodePortRange;
  const args = ['-j', String(Math.max(1, options.concurrency ?? availableParallelism()))];
  if (range) args.push('-service-node-port-range', `${range.from}-${range.to}`);
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  const pending = new Map<number, { resolve: (v: Verdict) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let stderr = '';
  let failure: Error | undefined;
  const take = (line: string) => {
    if (!line.trim()) return;
    let a: HelperAnswer;
    try {
      a = JSON.parse(line) as HelperAnswer;
    } catch {
      stderr += `unreadable output line: ${line.slice(0, 200)}\n`;
      return;
    }
    const waiting = pending.get(a.id);
    if (!waiting) return;
    pending.delete(a.id);
    waiting.resolve({
      checked: a.checked,
      ...(a.reason ? { reason: a.reason } : {}),
      ...(a.needsCluster ? { needsCluster: true } : {}),
      errors: a.errors.map((e) => ({ path: e.field, type: e.type, message: e.message })),
      warnings: a.warnings,
    });
  };
  const stdout = onLines(child.stdout, take);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => undefined); // a helper that died early: reported on close
  const closed = new Promise<void>((resolve) => {
    const end = (why: string) => {
      stdout.flush();
      failure = new Error(`the server validation helper stopped: ${stderr.trim().split('\n')[0] || why}`);
      for (const waiting of pending.values()) waiting.reject(failure);
      pending.clear();
      resolve();
    };
    child.on('error', (e) => end(`cannot run ${binary}: ${e.message}`));
    child.on('close', (code, signal) => end(`exit ${code ?? signal}`));
  });
  // Requests go out in writes of up to 1 MiB, not one write per object: thousands of objects are
  // queued in one turn of the event loop, and each write costs both processes a system call.
  let queued: string[] = [];
  let queuedLength = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (queued.length === 0) return;
    child.stdin.write(queued.join(''));
    queued = [];
    queuedLength = 0;
  };
  // `json` undefined: what JSON.stringify gives for a value JSON has not (the request then has no object).
  const send = (json: string | undefined, field: 'object' | 'crd') => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<Verdict>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      const line = json === undefined ? `{"id":${id}}\n` : `{"id":${id},"${field}":${json}}\n`;
      queued.push(line);
      queuedLength += line.length;
      if (queuedLength >= 1 << 20) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
  const checkJson = (json: string | undefined) => send(json, 'object');
  return {
    check: (object) => checkJson(JSON.stringify(object) as string | undefined),
    checkJson,
    registerCrd: (crd) => send(JSON.stringify(crd) as string | undefined, 'crd'),
    close() {
      flush();
      child.stdin.end();
      return closed;
    },
  };
}

/**
 * The server's verdicts on many objects, in their order, from one helper process. Objects that are
 * equal as JSON are checked once and share the verdict (an app's envs repeat most of its objects):
 * the check depends on nothing but the object.
 */
export async function checkObjects(
  binary: string,
  objects: readonly unknown[],
  options: HelperOptions & { json?: (o: unknown, i: number) => string; crds?: readonly unknown[] } = {},
): Promise<Verdict[]> {
  return (await checkWithCrds(binary, options.crds ?? [], objects, options)).objects;
}

/**
 * `checkObjects` after registering the given CustomResourceDefinitions (`HelperSession.registerCrd`),
 * in their order (a later CRD of the same group and kind replaces an earlier one): the custom
 * resources of their kinds are checked against them. Gives the CRDs' verdicts too.
 */
export async function checkWithCrds(
  binary: string,
  crds: readonly unknown[],
  objects: readonly unknown[],
  options: HelperOptions & { json?: (o: unknown, i: number) => string } = {},
): Promise<{ crds: Verdict[]; objects: Verdict[] }> {
  const session = startHelper(binary, options);
  const asked = new Map<string, Promise<Verdict>>();
  let registered: Promise<Verdict[]> | undefined;
  let verdicts: Promise<Verdict[]>;
  try {
    registered = Promise.all(crds.map((crd) => session.registerCrd(crd)));
    verdicts = Promise.all(
      objects.map((o, i) => {
        const json = options.json ? options.json(o, i) : (JSON.stringify(o) as string | undefined);
        if (json === undefined) return session.check(o);
        let verdict = asked.get(json);
        if (!verdict) asked.set(json, (verdict = session.checkJson(json)));
        return verdict;
      }),
    );
  } catch (e) {
    // A running helper keeps the event loop, and so the process, alive: it ends before the error goes on.
    registered?.catch(() => undefined);
    await session.close();
    throw e;
  }
  // All settle: a failure rejects the verdicts, and close always resolves once the process ends.
  const [result, own] = await Promise.allSettled([verdicts, registered, session.close()]);
  if (result.status === 'rejected') throw result.reason;
  if (own.status === 'rejected') throw own.reason;
  return { crds: own.value, objects: result.value };
}

/**
 * A dotted field path as the server writes it (`spec.containers[0].resources.limits[cpu]`) as
 * segments for a lookup in the parsed document: `['spec', 'containers', 0, 'resources', 'limits', 'cpu']`.
 * A bracketed number is a list index; any other bracketed text is a map key, taken as written.
 */
export function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i]!;
    if (c === '.') {
      i++;
      continue;
    }
    if (c === '[') {
      const end = path.indexOf(']', i);
      const inner = path.slice(i + 1, end < 0 ? path.length : end);
      out.push(/^\d+$/.test(inner) ? Number(inner) : inner);
      i = end < 0 ? path.length : end + 1;
      continue;
    }
    let j = i;
    while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
    out.push(path.slice(i, j));
    i = j;
  }
  return out;
}
