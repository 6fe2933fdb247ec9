/*
 * SIGINT and SIGTERM while an app's code runs. A listener for a signal cancels its default action
 * (the process ends by it), and a JavaScript listener runs only between two turns of the event loop,
 * which app code that never returns (`for (;;) {}`), or takes minutes, does not give back: a run
 * whose writer listens for the signal, to settle its change to the tree, would not end by it at all.
 *
 * So while app code runs on this thread, the listeners that have nothing to settle at that moment
 * are set aside, and the signal's default applies: the process ends by it at once (exit 130 or 143
 * as a shell reports it), without a line. That is sound because ending there leaves exactly what
 * the listeners would have left: each says whether it has anything to settle (a writer: a
 * transaction begun, an atomic write under way, a child doing a step of a change; while an app
 * renders, nothing has been written yet), and any listener that is not one of them keeps them all in
 * place. The tree's lock, held while generate renders, is left as a run killed outright leaves it:
 * its holder is gone, and the next writer takes it over. They are put back at the next turn of the loop, and at once when something that needs them
 * begins (a write), so no change is ever under way while the default applies.
 *
 * A signal that came in the same turn before the listeners were set aside, not yet handed to them,
 * is dropped with them (Node's own vm breakOnSigint has the same window); a second one ends the run.
 */

type Signal = 'SIGINT' | 'SIGTERM';
type Listener = (...args: unknown[]) => void;

const SIGNALS: readonly Signal[] = ['SIGINT', 'SIGTERM'];

interface State {
  /** Listeners that may be set aside, each with whether it has nothing to settle now. */
  readonly yielding: Map<Listener, () => boolean>;
  /** The listeners set aside, by signal, in their order; undefined while they are in place. */
  aside?: Map<Signal, Listener[]>;
}

// One state per process, whatever copies of core it runs (see app-code.ts).
const KEY: unique symbol = Symbol.for('@strata/core/interrupts');
const shared = globalThis as typeof globalThis & { [KEY]?: State };
const state: State = (shared[KEY] ??= { yielding: new Map() });

/**
 * Says that `listener`, a listener of this process for SIGINT or SIGTERM, may be set aside while
 * app code runs whenever `idle()` says it has nothing to settle: the signal then ends the process by
 * its default action, which must leave what the listener would.
 */
export function yieldToAppCode(listener: (...args: never[]) => void, idle: () => boolean): void {
  state.yielding.set(listener as Listener, idle);
}

/** The function a raw listener stands for (`process.once` wraps it). */
const own = (l: Listener): Listener => (l as Listener & { listener?: Listener }).listener ?? l;

/**
 * Called as app code starts on this thread: sets aside the listeners for SIGINT and SIGTERM when
 * every one of them may yield and has nothing to settle, until the next turn of the event loop or
 * {@link restoreInterruptListeners}.
 */
export function setAsideForAppCode(): void {
  if (state.aside) return;
  const aside = new Map<Signal, Listener[]>();
  for (const signal of SIGNALS) {
    const listeners = process.rawListeners(signal) as Listener[];
    for (const l of listeners) if (!state.yielding.get(own(l))?.()) return;
    if (listeners.length > 0) aside.set(signal, listeners);
  }
  if (aside.size === 0) return;
  state.aside = aside;
  for (const [signal, listeners] of aside) for (const l of listeners) process.removeListener(signal, l);
  setImmediate(restoreInterruptListeners).unref();
}

/** Puts back the listeners set aside for app code; called before anything they would settle begins. */
export function restoreInterruptListeners(): void {
  const aside = state.aside;
  if (!aside) return;
  state.aside = undefined;
  for (const [signal, listeners] of aside) for (const l of listeners) process.on(signal, l);
}
