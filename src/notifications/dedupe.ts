/**
 * The current minute as Go's time.Now().Truncate(time.Minute) marshals it (RFC 3339, UTC, no
 * fractional seconds). Put in a message's data as `dedupe_bypass_ts`, it lets the same
 * notification through once a minute instead of once a day (the dedupe hash covers the data).
 */
export function minuteBucket(d: Date): string {
  return new Date(Math.floor(d.getTime() / 60_000) * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
