import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { isMap, parseAllDocuments } from 'yaml';
import type { Manifest } from '@strata/core';
import { Layout, onLines, strataCheckout, ToolError, ToolMissingError } from '@strata/project';
import { aliasBombRefusal } from './aliases.ts';

export { isKustomizationFile, KUSTOMIZATION_FILES, kustomizationFilesIn } from './files.ts';

export const KUSTOMIZE_VERSION = 'v5.8.1';

/** How to run `kustomize build`: a kustomize binary, or kubectl's built-in copy. */
export interface KustomizeCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * How to install kustomize into the .tools/bin of `checkout`, the Strata checkout whose setup builds
 * it: named by its path when strata runs outside it (files validated in a folder of their own).
 */
function installHint(checkout: string, inWorkspace: boolean): string {
  const setup = inWorkspace ? '`npm run build`' : `\`npm run build\` in ${checkout}`;
  return (
    `run ${setup} (its setup builds kustomize ${KUSTOMIZE_VERSION} into .tools/bin with Go), ` +
    `or \`GOBIN=${join(checkout, '.tools', 'bin')} go install sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}\``
  );
}

/** The kustomize releases whose builds are the pinned one's: the same minor version. */
const COMPATIBLE = new RegExp(`^${KUSTOMIZE_VERSION.replace(/\.\d+$/, '').replace('.', '\\.')}\\.\\d+$`);

/**
 * Finds kustomize: $STRATA_KUSTOMIZE, then .tools/bin/kustomize of the root, else (a root that is
 * no workspace: files validated in a folder of their own) of the Strata checkout this code belongs
 * to, whose setup installs it, then a kustomize of the pinned minor version on PATH. Never another
 * version, nor kubectl's built-in copy (each kubectl release carries a kustomize of its own): the
 * round trip compares builds byte for byte and the builder is held to the pinned release, so a
 * build by another would make a laptop's check differ from CI's without a word. One named by
 * $STRATA_KUSTOMIZE is taken as it is: that is asked for.
 */
export function resolveKustomize(root: string): KustomizeCommand {
  const inWorkspace = existsSync(join(root, Layout.workspaceFile));
  const checkout = inWorkspace ? root : strataCheckout();
  const explicit = process.env.STRATA_KUSTOMIZE;
  if (explicit) {
    if (!existsSync(explicit)) throw new ToolMissingError(`STRATA_KUSTOMIZE=${explicit} does not exist`, installHint(checkout, inWorkspace));
    return { command: explicit, args: ['build'] };
  }
  for (const dir of new Set([root, checkout])) {
    const local = join(dir, '.tools', 'bin', 'kustomize');
    if (existsSync(local)) return { command: local, args: ['build'] };
  }
  const onPath = spawnSync('kustomize', ['version'], { encoding: 'utf8' });
  const version = onPath.status === 0 ? onPath.stdout.trim() : undefined;
  if (version !== undefined && COMPATIBLE.test(version)) return { command: 'kustomize', args: ['build'] };
  const other =
    version === undefined ? '' : ` (the kustomize on PATH is ${version || 'of unknown version'}, not ${KUSTOMIZE_VERSION.replace(/\d+$/, 'x')})`;
  throw new ToolMissingError(`kustomize ${KUSTOMIZE_VERSION} not found${other}`, installHint(checkout, inWorkspace));
}

export interface BuildResult {
  /** The overlay folder, relative to the root. */
  readonly overlay: string;
  readonly ok: boolean;
  /** The built YAML stream (empty when the build failed). */
  readonly yaml: string;
  /** kustomize's own message when the build failed. */
  readonly error?: string;
  /**
   * The tool failed, not the overlay: kustomize or the builder was killed, could not start or
   * answered with something unreadable, so the overlay was never judged.
   */
  readonly toolFailed?: true;
  readonly millis: number;
  /**
   * Where each object of `yaml` comes from, in order, when asked for (`BuildOptions.origins`) and the
   * builder built it: a file of the tree, relative to the folder built, a remote repository, or the
   * kustomization whose generator made it; null where kustomize tracks none.
   */
  readonly origins?: readonly (BuildOrigin | null)[];
}

/** Where one built object comes from, as kustomize tracks it (its config.kubernetes.io/origin). */
export interface BuildOrigin {
  /** A file of the tree, relative to the folder built. */
  readonly path?: string;
  /** The remote repository it was fetched from. */
  readonly repo?: string;
  /** The kustomization, relative to the folder built, whose generator made it. */
  readonly configuredIn?: string;
}

/** The error text of a failed build: kustomize's message on one line, without cobra's `Error: `. */
function oneLine(message: string): string {
  return message
    .trim()
    .replace(/^Error: /, '')
    .replace(/\s*\n\s*/g, ' ');
}

function overlayName(root: string, dir: string): string {
  return relative(root, join(root, dir)) || '.';
}

/**
 * Why the output of a build that exited 0 cannot be what kustomize writes, or undefined when it
 * can: a stream of YAML mappings, each with an apiVersion and a kind (or nothing at all).
 */
function notManifests(yaml: string): string | undefined {
  if (yaml.trim() === '') return undefined;
  let n = 0;
  for (const doc of parseAllDocuments(yaml)) {
    n++;
    // The parser's first line only: the rest quotes the output, which may hold anything.
    if (doc.errors.length > 0) return `not YAML (${doc.errors[0]!.message.split('\n')[0]!.trim()})`;
    if (doc.contents === null) continue;
    if (!isMap(doc.contents) || typeof doc.get('apiVersion') !== 'string' || typeof doc.get('kind') !== 'string') {
      return `not Kubernetes objects (document ${n} has no apiVersion and kind)`;
    }
  }
  return undefined;
}

/**
 * kustomize (and kubectl) exit 1 for an overlay they refuse, after an `Error:` line. Any other exit
 * code, or a Go runtime panic, is the tool crashing: the overlay was never judged.
 */
function crashed(code: number, stderr: string): boolean {
  return code !== 1 || /^(panic|fatal error): /m.test(stderr) || /^goroutine \d+ \[/m.test(stderr);
}

/** The result of one kustomize process, from how it ended and what it wrote. */
export function kustomizeResult(
  command: string,
  overlay: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  stdout: string,
  stderr: string,
  millis: number,
): BuildResult {
  if (signal !== null) return { overlay, ok: false, yaml: '', error: `${command} was killed by ${signal}`, toolFailed: true, millis };
  if (code === 0) {
    const wrong = notManifests(stdout);
    if (!wrong) return { overlay, ok: true, yaml: stdout, millis };
    return { overlay, ok: false, yaml: '', error: `${command} exited 0 but its output is ${wrong}`, toolFailed: true, millis };
  }
  const message = oneLine(stderr) || `exit code ${code}`;
  if (code !== null && crashed(code, stderr)) {
    const first = stderr.trim().split('\n')[0]?.trim() ?? '';
    return {
      overlay,
      ok: false,
      yaml: '',
      error: `${command} crashed (exit code ${code})${first ? `: ${first.slice(0, 200)}` : ''}`,
      toolFailed: true,
      millis,
    };
  }
  return { overlay, ok: false, yaml: '', error: message, millis };
}

/** The builder's refusal of an alias bomb, as the result of a build kustomize was never started for. */
function refused(root: string, dir: string, refusal: string, started: number): BuildResult {
  return { overlay: overlayName(root, dir), ok: false, yaml: '', error: refusal, millis: performance.now() - started };
}

function buildOne(cmd: KustomizeCommand, root: string, dir: string, checked: Map<string, string | undefined>): Promise<BuildResult> {
  const started = performance.now();
  // kustomize expands every alias with no limit: an alias bomb is refused before it starts.
  const refusal = aliasBombRefusal(root, dir, checked);
  if (refusal) return Promise.resolve(refused(root, dir, refusal, started));
  return new Promise((resolve) => {
    const child = spawn(cmd.command, [...cmd.args, dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const overlay = overlayName(root, dir);
    child.on('error', (e) =>
      resolve({
        overlay,
        ok: false,
        yaml: '',
        error: `cannot run ${cmd.command}: ${e.message}`,
        toolFailed: true,
        millis: performance.now() - started,
      }),
    );
    child.on('close', (code, signal) => {
      resolve(
        kustomizeResult(
          cmd.command,
          overlay,
          code,
          signal,
          Buffer.concat(out).toString('utf8'),
          Buffer.concat(err).toString('utf8'),
          performance.now() - started,
        ),
      );
    });
  });
}

/**
 * Builds one overlay with one kustomize process, synchronously, for callers that plan without
 * awaiting (a planner that is a plain function). The result is classified as buildOverlays
 * classifies it: `toolFailed` when kustomize crashed, was killed or answered garbage.
 */
export function buildOverlaySync(root: string, dir: string, options: { readonly command?: KustomizeCommand } = {}): BuildResult {
  const cmd = options.command ?? resolveKustomize(root);
  const started = performance.now();
  const refusal = aliasBombRefusal(root, dir);
  if (refusal) return refused(root, dir, refusal, started);
  const run = spawnSync(cmd.command, [...cmd.args, dir], { cwd: root, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const overlay = overlayName(root, dir);
  if (run.error)
    return {
      overlay,
      ok: false,
      yaml: '',
      error: `cannot run ${cmd.command}: ${run.error.message}`,
      toolFailed: true,
      millis: performance.now() - started,
    };
  return kustomizeResult(cmd.command, overlay, run.status, run.signal, run.stdout, run.stderr, performance.now() - started);
}

const BUILDER_HINT = 'run `npm run setup` (it builds packages/kustomize/builder into .tools/bin with Go), or use the kustomize engine';

/**
 * Finds the long-lived builder (packages/kustomize/builder): $STRATA_BUILDER, then
 * .tools/bin/strata-kustomize-builder; undefined when neither exists.
 */
export function resolveBuilder(root: string): string | undefined {
  const explicit = process.env.STRATA_BUILDER;
  if (explicit) {
    if (!existsSync(explicit)) throw new ToolMissingError(`STRATA_BUILDER=${explicit} does not exist`, BUILDER_HINT);
    return explicit;
  }
  const local = join(root, '.tools', 'bin', 'strata-kustomize-builder');
  return existsSync(local) ? local : undefined;
}

/** One line of the builder's output. */
interface BuilderLine {
  readonly overlay: string;
  readonly ok: boolean;
  readonly yaml: string;
  readonly error?: string;
  /** Set here, never by the builder: it stopped before answering. */
  readonly toolFailed?: true;
  readonly millis: number;
  readonly origins?: readonly (BuildOrigin | null)[];
}

/** A running builder: overlays are sent to it as they become ready, results come back as they finish. */
export interface BuilderSession {
  /**
   * Builds one overlay (a folder relative to the root) from disk or, when `files` is given, from
   * those files alone (paths relative to the root), held in memory: a tree can be built before it is
   * written. With `origins`, the result says where each object comes from. Never rejects: a failure
   * is a result.
   */
  build(overlay: string, files?: ReadonlyMap<string, string>, options?: { readonly origins?: boolean }): Promise<BuildResult>;
  /**
   * Builds several overlays from the same files (paths relative to the root), held in memory once:
   * an app's env overlays, which all read its base. One result per overlay, in their order.
   */
  buildAll(overlays: readonly string[], files: ReadonlyMap<string, string>): Promise<BuildResult>[];
  /** Sends no more overlays; resolves when every answer is in and the process has ended. */
  close(): Promise<void>;
}

/** Starts the long-lived builder, or returns undefined when it is not built. */
export function startBuilder(root: string, options: { concurrency?: number; builder?: string } = {}): BuilderSession | undefined {
  const builder = options.builder ?? resolveBuilder(root);
  if (!builder) return undefined;
  const n = Math.max(1, options.concurrency ?? availableParallelism());
  // The builder answers with the overlay as it was given; the same overlay may be asked for twice.
  const pending = new Map<string, ((line: BuilderLine) => void)[]>();
  const child = spawn(builder, ['-j', String(n)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let failure: string | undefined;
  const take = (line: string) => {
    if (!line) return;
    let r: BuilderLine;
    try {
      r = JSON.parse(line) as BuilderLine;
    } catch {
      stderr += `unreadable output line: ${line.slice(0, 200)}\n`;
      return;
    }
    pending.get(r.overlay)?.shift()?.(r);
  };
  const stdout = onLines(child.stdout, take);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => undefined); // a builder that died early: reported on close
  // Whatever is still waiting when the process ends gets its reason: exit 1 only says some overlay
  // failed, and that overlay's line says why, so anything unanswered is the tool's fault.
  const closed = new Promise<void>((resolve) => {
    const end = (why: string) => {
      stdout.flush();
      failure = `the kustomize builder stopped before building it: ${oneLine(stderr) || why}`;
      for (const waiting of pending.values()) {
        for (const answer of waiting.splice(0)) answer({ overlay: '', ok: false, yaml: '', error: failure, toolFailed: true, millis: 0 });
      }
      resolve();
    };
    child.on('error', (e) => end(`cannot run ${builder}: ${e.message}`));
    child.on('close', (code, signal) => end(signal !== null ? `killed by ${signal}` : `exit code ${code}`));
  });
  // Requests that keep stdin open (one naming several overlays until the builder has answered it,
  // one not sent yet, see later), and whether close was asked.
  let unsettled = 0;
  let closing = false;
  const settled = () => {
    if (--unsettled === 0 && closing) child.stdin.end();
  };
  // The builder answers in completion order, naming the overlay: a second request for an overlay
  // whose first is still out (from other files, say) is sent once that one is answered, so that
  // the answers cannot cross.
  const latest = new Map<string, Promise<unknown>>();
  const later = (overlays: readonly string[], answers: readonly Promise<BuildResult>[], send: () => void) => {
    const before = overlays.flatMap((o) => latest.get(o) ?? []);
    overlays.forEach((o, i) => latest.set(o, answers[i]!));
    if (before.length === 0) return send();
    unsettled++;
    void Promise.all(before).then(() => {
      send();
      settled();
    });
  };
  /** Waits for the builder's answer for `overlay`, unless the builder has already stopped. */
  const answerFor = (overlay: string): Promise<BuildResult> => {
    const started = performance.now();
    const name = overlayName(root, overlay);
    return new Promise<BuildResult>((resolve) => {
      const answer = (r: BuilderLine) =>
        resolve(
          r.ok
            ? { overlay: name, ok: true, yaml: r.yaml, millis: r.millis, ...(r.origins ? { origins: r.origins } : {}) }
            : {
                overlay: name,
                ok: false,
                yaml: '',
                error: oneLine(r.error ?? '') || 'failed',
                ...(r.toolFailed && { toolFailed: true }),
                millis: r.millis || performance.now() - started,
              },
        );
      if (failure) return answer({ overlay, ok: false, yaml: '', error: failure, toolFailed: true, millis: 0 });
      pending.set(overlay, [...(pending.get(overlay) ?? []), answer]);
    });
  };
  return {
    build(overlay, files, options) {
      const answer = answerFor(overlay);
      if (failure) return answer;
      later([overlay], [answer], () => {
        const origins = options?.origins ? { origins: true } : {};
        child.stdin.write(
          files || options?.origins
            ? `${JSON.stringify({ overlay, ...(files ? { files: Object.fromEntries(files) } : {}), ...origins })}\n`
            : `${overlay}\n`,
        );
      });
      return answer;
    },
    buildAll(overlays, files) {
      // Each answer is waited for before the one line that asks for them all is sent.
      const answers = overlays.map((overlay) => answerFor(overlay));
      if (failure || overlays.length === 0) return answers;
      later(overlays, answers, () => {
        // A builder built before a request could name several overlays reads this one as naming
        // none, and answers for no overlay: each is then asked for on its own, which it builds.
        const apart = (line: BuilderLine) => {
          if (line.toolFailed) return; // the builder stopped: each overlay has its answer already
          for (const overlay of overlays) child.stdin.write(`${JSON.stringify({ overlay, files: Object.fromEntries(files) })}\n`);
        };
        // Until the builder has answered it one way or the other, the request keeps stdin open.
        unsettled++;
        let done = false;
        const settle = () => {
          if (done) return;
          done = true;
          settled();
        };
        pending.set('', [
          ...(pending.get('') ?? []),
          (line) => {
            apart(line);
            settle();
          },
        ]);
        void Promise.race(answers).then(settle);
        child.stdin.write(`${JSON.stringify({ overlays, files: Object.fromEntries(files) })}\n`);
      });
      return answers;
    },
    close() {
      closing = true;
      if (unsettled === 0) child.stdin.end();
      return closed;
    },
  };
}

/** What a builder that predates origins answers to a request for them: it looked for the folder in an empty tree in memory. */
const STALE_BUILDER = /^must build at directory: not a valid directory: '\/[^']*' doesn't exist$/;

/** Builds every overlay in one builder process. */
async function buildWithBuilder(
  session: BuilderSession,
  overlays: readonly string[],
  onResult?: (r: BuildResult) => void,
  origins?: boolean,
): Promise<BuildResult[]> {
  const results = overlays.map((o) =>
    session.build(o, undefined, origins ? { origins } : undefined).then((r) => {
      onResult?.(r);
      return r;
    }),
  );
  // No more requests: a builder that answers no line at all then ends, and what waits is answered.
  await session.close();
  return Promise.all(results);
}

export type BuildEngine = 'builder' | 'kustomize';

export interface BuildOptions {
  /** Overlays built at the same time. @default the number of cores */
  readonly concurrency?: number;
  /** The kustomize command for the `kustomize` engine. @default resolveKustomize(root) */
  readonly command?: KustomizeCommand;
  /**
   * `builder`: one long-lived builder process for all overlays; `kustomize`: one `kustomize build`
   * process per overlay. @default `builder` when it is built and neither `command` nor
   * $STRATA_KUSTOMIZE names a kustomize to use, else `kustomize`
   */
  readonly engine?: BuildEngine;
  /** Called with each result as it completes. */
  readonly onResult?: (r: BuildResult) => void;
  /**
   * The builder binary, for a tree that has no .tools/bin of its own (a git ref exported to a
   * temporary folder, say). @default resolveBuilder(root)
   */
  readonly builder?: string;
  /**
   * Ask the builder where each object comes from (`BuildResult.origins`); the kustomize engine
   * cannot say. @default false
   */
  readonly origins?: boolean;
}

/**
 * How to build a tree that has no .tools of its own (a git ref exported to a temporary folder, built
 * files of any folder): with the pinned builder of the Strata checkout this code belongs to, else
 * (absent, or $STRATA_KUSTOMIZE names a kustomize to use) with that checkout's kustomize.
 */
export function checkoutBuildOptions(): BuildOptions {
  const tools = strataCheckout();
  const builder = process.env.STRATA_KUSTOMIZE ? undefined : resolveBuilder(tools);
  return builder ? { engine: 'builder', builder } : { engine: 'kustomize', command: resolveKustomize(tools) };
}

/**
 * Builds every overlay, results in input order. With the builder (one process, a worker per core)
 * the cost per overlay is milliseconds; with the kustomize binary each overlay pays a process start
 * of about 90 ms, so the builder is used whenever it is available.
 */
export async function buildOverlays(root: string, overlays: readonly string[], options: BuildOptions = {}): Promise<BuildResult[]> {
  if (overlays.length === 0) return [];
  const n = Math.max(1, Math.min(options.concurrency ?? availableParallelism(), overlays.length));
  const engine = options.engine ?? (options.command || process.env.STRATA_KUSTOMIZE ? 'kustomize' : undefined);
  if (engine !== 'kustomize') {
    const session = startBuilder(root, { concurrency: n, ...(options.builder ? { builder: options.builder } : {}) });
    if (session && !options.origins) return buildWithBuilder(session, overlays, options.onResult);
    if (session) {
      const results = await buildWithBuilder(session, overlays, undefined, true);
      // A builder built before origins reads the request as a tree in memory with no files: those are built again without them.
      const stale = results.flatMap((r, i) => (!r.ok && STALE_BUILDER.test(r.error ?? '') ? [i] : []));
      const again = stale.length === 0 ? undefined : startBuilder(root, { concurrency: n, ...(options.builder ? { builder: options.builder } : {}) });
      if (again) {
        const redone = await buildWithBuilder(
          again,
          stale.map((i) => overlays[i]!),
        );
        for (const [k, i] of stale.entries()) results[i] = redone[k]!;
      }
      for (const r of results) options.onResult?.(r);
      return results;
    }
    if (engine === 'builder') throw new ToolMissingError('strata-kustomize-builder not found', BUILDER_HINT);
  }
  const cmd = options.command ?? resolveKustomize(root);
  const results: BuildResult[] = new Array(overlays.length);
  // What the alias check found in each file: the bases the overlays share are read once.
  const checked = new Map<string, string | undefined>();
  let next = 0;
  const worker = async () => {
    while (next < overlays.length) {
      const i = next++;
      results[i] = await buildOne(cmd, root, overlays[i]!, checked);
      options.onResult?.(results[i]!);
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}

/** Parses a built YAML stream into manifests; a YAML error names the overlay. */
export function parseBuild(yaml: string, overlay: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(yaml)) {
    if (doc.errors.length > 0) throw new ToolError(`${overlay}: kustomize output is not valid YAML: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as Manifest | null;
    if (value) out.push(value);
  }
  return out;
}
