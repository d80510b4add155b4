/** Every timer stays real when a test fakes the clock: only `Date` moves. */
export const REAL_TIMERS = [
  'nextTick',
  'setImmediate',
  'clearImmediate',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'queueMicrotask',
  'hrtime',
  'performance',
] as const;

/** Moves the clock to `now` for the rest of the test (undo with `jest.useRealTimers()`). */
export function setClock(now: number): void {
  jest.useFakeTimers({ doNotFake: [...REAL_TIMERS], now });
}
