/**
 * A JSON object, neither null nor an array: what parsed metadata, evaluation reports and request bodies
 * must be before their fields are read.
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
