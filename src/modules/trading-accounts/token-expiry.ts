/** 06:00 IST is 00:30 UTC (India keeps no daylight saving time). */
const EXPIRY_UTC_MINUTES = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When a Kite access token obtained at `at` expires by itself: "at 6 AM on the next day
 * (regulatory requirement)", that is the first 06:00 IST after the login.
 */
export function kiteTokenExpiry(at: Date): Date {
  const sameDay = Date.UTC(
    at.getUTCFullYear(),
    at.getUTCMonth(),
    at.getUTCDate(),
    0,
    EXPIRY_UTC_MINUTES,
  );
  return new Date(sameDay > at.getTime() ? sameDay : sameDay + DAY_MS);
}
