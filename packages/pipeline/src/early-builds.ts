import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuilderSession, BuildResult } from '@strata/kustomize';
import { ENVIRONMENTS } from '@strata/core';
import { Layout } from '@strata/project';
import type { FolderListing } from './cache.ts';

/** Apps whose early builds are out at once: enough to keep the builder busy while this thread does other work. */
const IN_FLIGHT = 24;
/** How far the early builds run ahead of the plan, at most: what a tree that no longer matches its apps may cost. */
const LEAD = 150;

/** The folders an app's overlays build from: its base and its env overlays. */
export const buildFolders = (app: string): string[] => [Layout.baseOf(app), ...ENVIRONMENTS.map((env) => Layout.overlay(env, app))];

/**
 * Builds of the generated tree as committed, sent to the builder before the apps are rendered.
 *
 * A run with no cache (a fresh clone, CI) first compiles and loads the apps, and the builder has
 * nothing to do until the first one is planned; yet a committed tree is, as a rule, what its apps
 * render (`strata check` fails otherwise). So each app's overlays are built from the files on disk
 * as fast as the builder takes them, and a planned app whose overlays and base would be written exactly as
 * they are read takes those builds: its input is the same bytes, so its output is too. Any other
 * app is built from its plan as usual, and its early builds are dropped. They run at most LEAD
 * apps ahead of the plan, so that a tree that no longer matches its apps costs only so many builds;
 * after a few misses and no more matches, they stop.
 */
export class EarlyBuilds {
  private next = 0;
  private planned = 0;
  private matched = 0;
  private missed = 0;
  private stopped = false;
  private out = 0;
  private readonly taken = new Set<string>();
  private readonly sent = new Map<string, { readonly files: ReadonlyMap<string, string>; readonly built: Promise<BuildResult>[] }>();

  constructor(
    private readonly root: string,
    /** The generated tree's folders as listed before it is written, which the plan's own check of them reads too. */
    private readonly listing: FolderListing,
    private readonly session: BuilderSession,
    private readonly apps: readonly string[],
  ) {
    this.feed();
  }

  /**
   * The early builds of a planned app's overlays (one per env, in order) when they read exactly
   * `files` (the plan's files of its base and overlays); undefined otherwise.
   */
  take(app: string, files: ReadonlyMap<string, string>): Promise<BuildResult>[] | undefined {
    this.planned++;
    this.taken.add(app);
    this.feed();
    const early = this.sent.get(app);
    this.sent.delete(app);
    if (!early) return undefined;
    if (sameFiles(early.files, files)) {
      this.matched++;
      return early.built;
    }
    if (++this.missed >= 3 && this.missed > this.matched) this.stop();
    return undefined;
  }

  /** Sends no more: called before the session closes. */
  stop(): void {
    this.stopped = true;
  }

  /** Reads and sends the next apps while fewer than IN_FLIGHT are out and the plan is not too far behind. */
  private feed(): void {
    while (!this.stopped && this.out < IN_FLIGHT && this.next < this.apps.length && this.next < this.planned + LEAD) {
      const app = this.apps[this.next++]!;
      // Planned already, and built from its plan.
      if (this.taken.has(app)) continue;
      const files = committedFiles(this.root, this.listing, buildFolders(app));
      if (!files) continue;
      const built = this.session.buildAll(
        ENVIRONMENTS.map((env) => Layout.overlay(env, app)),
        files,
      );
      this.sent.set(app, { files, built });
      this.out++;
      void Promise.all(built).then(() => {
        this.out--;
        this.feed();
      });
    }
  }
}

/** Every file under these folders (relative to `root`), as text (the text is what the builder is sent, and what a plan is compared with); undefined when a link lies among them or one cannot be read. */
function committedFiles(root: string, listing: FolderListing, folders: readonly string[]): Map<string, string> | undefined {
  try {
    const files = new Map<string, string>();
    for (const folder of folders) {
      // A link is never what a plan writes.
      if (listing.holdsLinks(folder)) return undefined;
      for (const path of listing.files(folder)) files.set(path, readFileSync(join(root, path), 'utf8'));
    }
    return files;
  } catch {
    return undefined;
  }
}

function sameFiles(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, content] of a) if (b.get(path) !== content) return false;
  return true;
}
