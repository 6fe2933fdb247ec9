/**
 * What `kubectl apply` sends (client-side apply, as `kubectl apply -k` and Argo CD's default sync
 * run it): the object it creates, with the last-applied-configuration annotation, and the three-way
 * patch of an update (last applied, new, live), computed by kubectl's own code in the server
 * validation helper (`strata-server-validation -kubectl-apply`, packages/server-validation/helper/apply.go).
 * A server-side apply keeps what the server defaulted and the config does not name, so it is
 * refused where kubectl's patch passes: a Deployment turned from RollingUpdate to Recreate keeps the
 * defaulted `spec.strategy.rollingUpdate` under a server-side apply, and kubectl's patch removes it.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureCachedBuild, helperBinary, onLines, ToolError, ToolMissingError } from '@strata/project';

/** The field manager of kubectl's client-side apply. */
export const CLIENT_SIDE_APPLY_MANAGER = 'kubectl-client-side-apply';

/** kubectl's update: a patch of this content type, or nothing to send. */
export type KubectlPatch =
  | { readonly patch: string; readonly type: 'application/strategic-merge-patch+json' | 'application/merge-patch+json' }
  | { readonly patch: undefined };

interface Answer {
  readonly id: number;
  readonly body?: unknown;
  readonly patch?: unknown;
  readonly type?: string;
  readonly error?: string;
}

const INSTALL_HINT =
  'run `node scripts/install-servers.mjs server-validation` (builds the helper of packages/server-validation into ~/.cache/strata/servers, once per machine), ' +
  'or point STRATA_SERVER_VALIDATION at a build of packages/server-validation/helper';

/** One helper process in its -kubectl-apply mode, started on first use; `close` ends it. */
export class KubectlApply {
  private child?: Promise<{ send: (line: string) => void; end: () => void }>;
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure?: Error;

  constructor(private readonly onProgress?: (line: string) => void) {}

  /** The object `json` (one JSON document) as kubectl creates it: with its last-applied-configuration annotation, as JSON. */
  async created(json: string): Promise<string> {
    const a = await this.ask(json);
    return JSON.stringify(a.body);
  }

  /**
   * kubectl's patch from `live` (the object as the server holds it) to the object `json`; throws with
   * kubectl's words when kubectl computes none, and a `ToolError` when the helper failed to answer.
   */
  async patch(json: string, live: unknown): Promise<KubectlPatch> {
    const a = await this.ask(json, JSON.stringify(live));
    const patch = JSON.stringify(a.patch);
    if (patch === '{}') return { patch: undefined };
    return { patch, type: a.type === 'application/merge-patch+json' ? a.type : 'application/strategic-merge-patch+json' };
  }

  /** Ends the process, once every answer is in. */
  async close(): Promise<void> {
    if (!this.child) return;
    (await this.child.catch(() => undefined))?.end();
  }

  private async ask(object: string, live?: string): Promise<Answer> {
    const child = await (this.child ??= this.start());
    // Ended already: a request now would go nowhere, and its answer never come.
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const answer = new Promise<Answer>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    child.send(`{"id":${id},"object":${object}${live === undefined ? '' : `,"live":${live}`}}\n`);
    const a = await answer;
    if (a.error !== undefined) throw new Error(a.error);
    return a;
  }

  private async start(): Promise<{ send: (line: string) => void; end: () => void }> {
    const explicit = process.env.STRATA_SERVER_VALIDATION;
    if (explicit && !existsSync(explicit)) throw new ToolMissingError(`STRATA_SERVER_VALIDATION=${explicit} does not exist`, INSTALL_HINT);
    const binary =
      explicit ||
      (existsSync(helperBinary())
        ? helperBinary()
        : (await ensureCachedBuild('server-validation', 'the server validation helper', INSTALL_HINT, this.onProgress))[0]!);
    const child = spawn(binary, ['-kubectl-apply'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    // A failure of the helper says nothing of the input: a ToolError (exit 2), for every answer awaited and every later request.
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    child.on('error', (e) => fail(new ToolError(`strata-server-validation -kubectl-apply: ${e.message}`)));
    // A request written as it ends: its end (below) says how it ended.
    child.stdin.on('error', () => undefined);
    const lines = onLines(child.stdout, (line) => {
      if (!line.trim()) return;
      let a: Answer;
      try {
        a = JSON.parse(line) as Answer;
      } catch {
        fail(new ToolError(`strata-server-validation -kubectl-apply answered with something unreadable: ${line.slice(0, 200)}`));
        return;
      }
      const waiting = this.pending.get(a.id);
      this.pending.delete(a.id);
      waiting?.resolve(a);
    });
    child.on('close', (code, signal) => {
      lines.flush();
      const said = stderr.trim().split('\n').join('; ');
      fail(new ToolError(`strata-server-validation -kubectl-apply ended (${code !== null ? `exit ${code}` : signal})${said ? `: ${said}` : ''}`));
    });
    return { send: (line) => child.stdin.write(line), end: () => child.stdin.end() };
  }
}
