import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/**
 * Runs `fn` with a fresh folder of the system's temporary folder, its name starting with `prefix`,
 * and removes the folder once `fn` has returned, thrown or (when it returns a promise) settled.
 */
export function inTempDir<T>(prefix: string, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let result: T;
  try {
    result = fn(dir);
  } catch (err) {
    remove();
    throw err;
  }
  if (result instanceof Promise) return result.finally(remove) as T;
  remove();
  return result;
}

/**
 * A fresh temporary folder, its name starting with `prefix`, for the test that calls this (or a
 * helper of it): made now, removed once that test has finished, passed or failed.
 */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A folder of a describe block's own, and a writer of files into it. */
export interface SuiteDir {
  readonly dir: string;
  /** Writes `text` to the file `name` of the folder and returns the file's path. */
  write(name: string, text: string): string;
}

/**
 * A fresh temporary folder, its name starting with `prefix`, for the tests of the describe block
 * (or, called at the top, the file) that calls this: made now, removed after those tests.
 */
export function suiteTempDir(prefix: string): SuiteDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, text) {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    },
  };
}

/** Writes each of `files` (a path below `dir`, its text) into `dir`, with the folders it needs; returns `dir`. */
export function writeTree(dir: string, files: Readonly<Record<string, string>>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
