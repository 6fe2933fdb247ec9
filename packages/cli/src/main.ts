import { Command, CommanderError, type Option } from 'commander';
import type { Interruption } from '@strata/emit/interrupt';
import { UsageError } from '@strata/project';
import { asyncAppFailure, outsideAppCode } from '@strata/core/sources';
import { pinLocale } from '@strata/core/locale';
import { LateAppFailures } from '@strata/pipeline/late-failures';
import { OUTPUT_FORMATS, type OutputFormat } from '@strata/validate/formats';
import { EXIT, errorLines, exitCodeFor } from './exit.ts';
import { err, out, VERSION } from './common.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerBuild } from './commands/build.ts';
import { registerValidate } from './commands/validate.ts';
import { registerPipeline } from './commands/pipeline.ts';
import { registerCheck } from './commands/check.ts';
import { registerDiff } from './commands/diff.ts';
import { registerSet } from './commands/set.ts';
import { registerPromote } from './commands/promote.ts';
import { registerLs } from './commands/ls.ts';
import { registerRemoveApp } from './commands/remove-app.ts';
import { registerCrd } from './commands/crd.ts';
import { registerNewApp } from './commands/new-app.ts';
import { registerImport } from './commands/import.ts';
import { registerGraph } from './commands/graph.ts';
import { registerVerify } from './commands/verify.ts';
import { registerCi } from './commands/ci.ts';
import { addHelpCommands } from './help.ts';

// Each command imports its module when it runs, so `strata generate` never loads kubeconform's
// wrapper and `--help` loads nothing: the modules under commands/ import statically only the
// report builders of validate (formats, report) and types, which are erased.

/** Commander's parse error (`error: unknown option '--ap'` and a line `(Did you mean --app?)`) as one line. */
function usageLine(message: string): string {
  const text = message
    .trim()
    .replace(/^error: /, '')
    .replace(/\s*\n\(Did you mean (.+)\?\)$/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, '; ')
    .replace(/\.$/, '');
  return `strata: ${text}; run with --help for usage`;
}

/** The report format a command line asks for (`-o json`, `--output=sarif`), if any. */
function outputFormatIn(argv: readonly string[]): Exclude<OutputFormat, 'text'> | undefined {
  for (const [i, a] of argv.entries()) {
    const value = a === '-o' || a === '--output' ? argv[i + 1] : /^(?:--output=|-o)(.+)$/.exec(a)?.[1];
    if (value !== undefined)
      return (OUTPUT_FORMATS as readonly string[]).includes(value) && value !== 'text' ? (value as Exclude<OutputFormat, 'text'>) : undefined;
  }
  return undefined;
}

/**
 * The commands that write the tree through its journal: on SIGINT or SIGTERM they undo their
 * unfinished change (or keep the one they finished) before they end, and say which in one line.
 */
const WRITERS = new Set(['generate', 'import', 'new-app', 'remove-app', 'set', 'promote', 'crd', 'pipeline']);

/** The command under `strata` that `cmd` is or belongs to (`set` for `strata set image`). */
function topCommand(cmd: Command): string {
  let c = cmd;
  while (c.parent?.parent) c = c.parent;
  return c.name();
}

/** What an interrupted writer did to the tree, in one line. */
function interruptedLine(what: Interruption): string {
  const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  if (what.undone > 0)
    return `strata: interrupted (${what.signal}): undid this run's unfinished change to the tree (${files(what.undone)}); the workspace is as it was`;
  if (what.committed > 0)
    return `strata: interrupted (${what.signal}) after this run had finished its change to the tree (${files(what.committed)}), which stands`;
  return `strata: interrupted (${what.signal}) before this run changed the tree; nothing to undo`;
}

const program = new Command('strata')
  .description('Typed Kubernetes applications emitted as plain, committed Kustomize overlays.')
  .version(VERSION)
  // A usage mistake is one line, like every other error: what is wrong, the likely fix, where help is.
  .configureOutput({ outputError: (message, write) => write(`${usageLine(message)}\n`) })
  .exitOverride()
  // A run killed while it wrote the tree left a journal: finish or undo that change before any
  // command reads or writes the tree, so it never sees a mix of old and new files.
  .hook('preAction', async (_program, action) => {
    requiredGiven(action);
    // Help reads no tree, as --help does not.
    const help = action.name() === 'help';
    if (!help && WRITERS.has(topCommand(action))) (await import('@strata/emit/interrupt')).guardInterrupts((what) => err(interruptedLine(what)));
    // In the same turn, so that no signal falls between: the command's own handling takes over
    // from the guard that stood while it was loaded (for a reader, the signal's default).
    stopStartGuard?.();
    if (help) return;
    const r = (await import('@strata/emit/journal')).recoverWorkspace();
    if (r && r.rolledForward > 0) err(`strata: completed the change to the tree that an interrupted run had committed (${r.files} files)`);
    if (r && r.rolledBack > 0) err(`strata: undid the change to the tree that an interrupted run had started (${r.files} files)`);
  });

registerGenerate(program);
registerBuild(program);
registerValidate(program);
registerPipeline(program);
registerCheck(program);
registerDiff(program);
registerSet(program);
registerPromote(program);
registerLs(program);
registerRemoveApp(program);
registerCrd(program);
registerNewApp(program);
registerImport(program);
registerGraph(program);
registerVerify(program);
registerCi(program);
addHelpCommands(program);

/** The flags each command was given in this run, by option: what strictOptions judges repeats by. */
let given = new Map<Command, Map<string, { flags: string[]; values: string[] }>>();

/**
 * The usage rules commander leaves to its caller, on every option of every command: a value is
 * never empty (`--env ''` is no env, not every env), an option that takes one value is given once
 * (commander would keep the last silently; one that takes a list, such as generate's --app or
 * import's --env, adds up, as kubectl's list flags do), and --foo and --no-foo are not both given.
 * Each breach is one usage line, exit 2, before the command runs.
 */
function strictOptions(cmd: Command): void {
  const path = () => {
    const names: string[] = [];
    for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
    return names.join(' ');
  };
  for (const opt of cmd.options) {
    const flag = opt.long ?? opt.short ?? opt.flags;
    cmd.on(`option:${opt.name()}`, (value?: string) => {
      const byName = given.get(cmd) ?? new Map<string, { flags: string[]; values: string[] }>();
      given.set(cmd, byName);
      const name = opt.attributeName();
      const seen = byName.get(name) ?? { flags: [], values: [] };
      byName.set(name, seen);
      if (value === '') cmd.error(`${path()}: ${flag}: empty value; give one, or leave the option out`);
      // A flag that takes no value: --foo, or --no-foo (which commander does not count as boolean).
      if (!opt.required && !opt.optional) {
        const other = seen.flags.find((f) => f !== flag);
        if (other) cmd.error(`${path()}: ${other} and ${flag} contradict each other; give one of them`);
      } else if (!opt.variadic && seen.values.length > 0) {
        cmd.error(`${path()}: ${flag} given twice (${seen.values[0]}, then ${value}); it takes one value, so give it once`);
      }
      seen.flags.push(flag);
      if (value !== undefined) seen.values.push(value);
    });
  }
  for (const sub of cmd.commands) strictOptions(sub);
}
strictOptions(program);

/** The options each command requires (requiredOption), which requiredGiven judges in commander's place. */
const required = new Map<Command, Option[]>();

/**
 * Takes the required options of every command out of commander's own check, which runs before it
 * reports an unknown option: a typo of a required one (`promote --form dev`) read "required option
 * '--from <env>' not specified", never naming the flag typed nor the one meant. Judged by
 * requiredGiven as the command begins instead, after an unknown option has had its "did you mean".
 */
function deferRequired(cmd: Command): void {
  const options = cmd.options.filter((o) => o.mandatory);
  for (const o of options) o.makeOptionMandatory(false);
  if (options.length > 0) required.set(cmd, options);
  for (const sub of cmd.commands) deferRequired(sub);
}
deferRequired(program);

/** A required option of the command (or of a command above it) that was not given: one usage line, exit 2, as commander says it. */
function requiredGiven(action: Command): void {
  for (let c: Command | null = action; c; c = c.parent)
    for (const o of required.get(c) ?? [])
      if (c.getOptionValue(o.attributeName()) === undefined)
        c.error(`error: required option '${o.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
}

/** The failures of app code after its call had returned, each printed once, though every render of the app threw it. */
const late = new LateAppFailures();
/** Whether the command has ended: a failure of app code after that is reported as it comes. */
let ended = false;

/** Prints what app code threw after its call had returned, and ends with the exit code the pipeline decides for it. */
async function reportAppFailures(): Promise<void> {
  const verdict = await late.take(Number(process.exitCode ?? 0));
  if (!verdict) return;
  for (const line of verdict.lines) err(`strata: ${line}`);
  if (verdict.stands) err(`strata: ${verdict.stands}`);
  process.exitCode = verdict.exitCode;
}

/**
 * An exception nothing caught, or a rejection nothing handled: app code's is the app's failure,
 * reported as one line at its own file; anything else is the program's, and ends it as main's
 * own errors do.
 */
async function uncaught(e: unknown): Promise<void> {
  if (asyncAppFailure(e)) {
    // Called where the app's code failed: the exit status this sets is the program's own.
    if (ended) await outsideAppCode(reportAppFailures);
    return;
  }
  for (const line of errorLines(e)) err(`strata: ${line}`);
  if (process.env.STRATA_DEBUG) err((e as Error).stack ?? '');
  process.exit(exitCodeFor(e) || EXIT.usage);
}

/** What the `strata` command hands over as the command begins: the guard against a signal that stood while it was loaded. */
export interface MainOptions {
  /** Stops that guard: called once the command's own handling of SIGINT and SIGTERM is in place. */
  readonly stopStartGuard?: () => void;
}

let stopStartGuard: (() => void) | undefined;

export async function main(argv: readonly string[], options: MainOptions = {}): Promise<void> {
  // Every command's output, whether it loads an app or not, is the same whatever LANG and LC_ALL say.
  pinLocale();
  stopStartGuard = options.stopStartGuard;
  given = new Map();
  ended = false;
  if (process.listenerCount('uncaughtException') === 0) process.on('uncaughtException', uncaught);
  if (process.listenerCount('unhandledRejection') === 0) process.on('unhandledRejection', uncaught);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    // --help and --version end here with code 0; commander printed its own parse errors, and a
    // report format still gets its one document, the mistake its one problem.
    const format = e instanceof CommanderError && e.exitCode !== 0 ? outputFormatIn(argv) : undefined;
    if (format) {
      const mistake = new UsageError(usageLine((e as CommanderError).message).replace(/^strata: /, ''));
      const document = await (await import('@strata/pipeline')).failureReport(format, ['.'], mistake, VERSION, 'strata validate');
      if (document !== undefined) out(document);
    }
    if (!(e instanceof CommanderError)) {
      for (const line of errorLines(e)) err(`strata: ${line}`);
      if (process.env.STRATA_DEBUG) err((e as Error).stack ?? '');
    }
    late.reported(e);
    process.exitCode = exitCodeFor(e);
  }
  // What app code started at once has run by the next turn: its failures belong to this command.
  await new Promise((done) => setTimeout(done, 0));
  await reportAppFailures();
  ended = true;
}
