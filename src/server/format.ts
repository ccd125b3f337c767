/**
 * Small display helpers shared by the API, the pages and the charts: rounding, finite-number checks,
 * durations and language names. Pure functions, no Express.
 */

/** `x` rounded to `digits` decimals, as a number (for JSON and SVG coordinates). */
export const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** `v` if it is a finite number, else undefined (for untyped config.json fields). */
export function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** "2 h 5 min", or "7 min" (at least 1 min) for a duration in seconds. */
export function formatDuration(s: number): string {
  const h = Math.floor(s / 3600);
  const min = Math.round((s % 3600) / 60);
  return h > 0 ? `${h} h ${min} min` : `${Math.max(1, min)} min`;
}

const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language' });

/** English name of a language code ("de" → "German"); the code itself when unknown. */
export function languageName(code: string): string {
  try {
    return LANGUAGE_NAMES.of(code) ?? code;
  } catch {
    return code;
  }
}
