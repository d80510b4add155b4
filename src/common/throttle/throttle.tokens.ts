/** Milliseconds since the epoch; tests substitute a clock they move by hand. */
export type Clock = () => number;

export const THROTTLE_CLOCK = Symbol('THROTTLE_CLOCK');

/** The counters' store: Redis (with an in-process fallback) when configured, else in-process. */
export const THROTTLE_STORE = Symbol('THROTTLE_STORE');
