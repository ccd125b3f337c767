/**
 * Variable numbers of references, as sacrebleu 2.x handles them: in the stream layout every stream is as
 * long as the hypotheses, and a segment with fewer references has '' in the streams it lacks. Empty
 * references are dropped per segment; a segment left with none is an error; the signature then says
 * `nrefs:var` when segments have different counts.
 */

/** The non-empty references of segment `i` (0-based); throws when there are none. */
export function segmentReferences(
  metric: string,
  streams: readonly (readonly string[])[],
  i: number,
): string[] {
  const refs = streams.map((stream) => stream[i]).filter((ref) => ref !== '');
  if (refs.length === 0) {
    throw new Error(`${metric}: segment ${i + 1} has no reference (every reference of it is empty)`);
  }
  return refs;
}

/** The `nrefs` signature field: the number of references per segment, or 'var' when it varies. */
export function referenceCountLabel(
  streams: readonly (readonly string[])[],
  segments: number,
): number | 'var' {
  const counts = new Set<number>();
  for (let i = 0; i < segments; i++) counts.add(streams.filter((stream) => stream[i] !== '').length);
  return counts.size === 1 ? [...counts][0] : 'var';
}

/** A test set where every distinct source appears once, with all of its references as streams. */
export interface GroupedTestSet {
  sources: string[];
  /** sacrebleu's layout: `streams[k][i]` is the k-th reference of `sources[i]`, '' where it has fewer. */
  streams: string[][];
}

/**
 * Groups (source, reference) pairs by identical source, keeping first-seen order. Corpora such as
 * Tatoeba translate one sentence several ways; scoring each pair alone penalises a correct translation
 * for not matching the other references, so the grouped set is the fairer test.
 */
export function groupReferencesBySource(
  sources: readonly string[],
  references: readonly string[],
): GroupedTestSet {
  if (sources.length !== references.length) {
    throw new Error(`got ${sources.length} sources but ${references.length} references`);
  }
  const bySource = new Map<string, string[]>();
  sources.forEach((src, i) => {
    const refs = bySource.get(src);
    if (refs) refs.push(references[i]);
    else bySource.set(src, [references[i]]);
  });
  const width = Math.max(0, ...[...bySource.values()].map((refs) => refs.length));
  const streams = Array.from({ length: width }, (_, k) =>
    [...bySource.values()].map((refs) => refs[k] ?? ''),
  );
  return { sources: [...bySource.keys()], streams };
}
