/**
 * Symmetrisation of word alignments made in two directions (Och & Ney 2003; Koehn et al. 2003).
 *
 * Attention links each target word to one source word, so one direction alone can never link a source
 * word to two target words, and it links every target word, unaligned function words included. A model
 * trained the other way round (French→English, `--reverse`) makes the opposite mistakes. Combining them:
 *   intersection   links both directions agree on: high precision, low recall;
 *   union          links either direction made: high recall, low precision;
 *   grow-diag      the intersection, grown into neighbouring (also diagonal) union links that touch a
 *                  word without a link yet, until nothing changes;
 *   grow-diag-final      grow-diag, then each direction's remaining links that touch a word without a link;
 *   grow-diag-final-and  the same, but only links where BOTH words are still without one (Moses' default).
 * The procedure is the one Koehn gives for Moses' `train-model.perl` (statmt.org, "Word alignment"); it is
 * written here because it is twenty lines over sets of pairs and no npm package offers it.
 *
 * A link is [source word, target word], as elsewhere in this folder; links from the reverse model are
 * given in its own orientation and flipped here.
 */

export type Link = readonly [number, number];

export const SYMMETRIZATIONS = [
  'intersection',
  'union',
  'grow-diag',
  'grow-diag-final',
  'grow-diag-final-and',
] as const;
export type Symmetrization = (typeof SYMMETRIZATIONS)[number];

/** The links of a target→source model written as [source, target]. */
export function flipLinks(links: readonly Link[]): [number, number][] {
  return links.map(([a, b]) => [b, a]);
}

const key = (s: number, t: number) => `${s}-${t}`;

const NEIGHBOURS: readonly Link[] = [
  [-1, 0],
  [0, -1],
  [1, 0],
  [0, 1],
  [-1, -1],
  [-1, 1],
  [1, -1],
  [1, 1],
];

/** The current alignment, with how many links each source and target word has. */
class LinkSet {
  private readonly links = new Set<string>();
  private readonly sourceLinks = new Map<number, number>();
  private readonly targetLinks = new Map<number, number>();

  has(s: number, t: number): boolean {
    return this.links.has(key(s, t));
  }

  add(s: number, t: number): void {
    if (this.has(s, t)) return;
    this.links.add(key(s, t));
    this.sourceLinks.set(s, (this.sourceLinks.get(s) ?? 0) + 1);
    this.targetLinks.set(t, (this.targetLinks.get(t) ?? 0) + 1);
  }

  sourceAligned(s: number): boolean {
    return this.sourceLinks.has(s);
  }

  targetAligned(t: number): boolean {
    return this.targetLinks.has(t);
  }

  sorted(): [number, number][] {
    return [...this.links]
      .map((k) => k.split('-').map(Number) as [number, number])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }
}

/**
 * Combine `forward` (source→target model) and `backward` (the target→source model's links, already
 * flipped to [source, target]) into one alignment, sorted by source then target word.
 */
export function symmetrize(
  forward: readonly Link[],
  backward: readonly Link[],
  method: Symmetrization,
): [number, number][] {
  const backwardKeys = new Set(backward.map(([s, t]) => key(s, t)));
  const union = new Set([...forward.map(([s, t]) => key(s, t)), ...backwardKeys]);
  const alignment = new LinkSet();
  if (method === 'union') {
    for (const [s, t] of [...forward, ...backward]) alignment.add(s, t);
    return alignment.sorted();
  }
  for (const [s, t] of forward) if (backwardKeys.has(key(s, t))) alignment.add(s, t);
  if (method === 'intersection') return alignment.sorted();

  // GROW-DIAG: visit the current links in order, repeatedly, adding union neighbours of a link when one
  // of the neighbour's two words has no link yet.
  const maxSource = Math.max(-1, ...[...forward, ...backward].map(([s]) => s));
  const maxTarget = Math.max(-1, ...[...forward, ...backward].map(([, t]) => t));
  let grew = true;
  while (grew) {
    grew = false;
    for (let s = 0; s <= maxSource; s++) {
      for (let t = 0; t <= maxTarget; t++) {
        if (!alignment.has(s, t)) continue;
        for (const [ds, dt] of NEIGHBOURS) {
          const [ns, nt] = [s + ds, t + dt];
          if (alignment.has(ns, nt) || !union.has(key(ns, nt))) continue;
          if (!alignment.sourceAligned(ns) || !alignment.targetAligned(nt)) {
            alignment.add(ns, nt);
            grew = true;
          }
        }
      }
    }
  }
  if (method === 'grow-diag') return alignment.sorted();

  // FINAL(-AND): each direction's links, in order, that reach a word still without a link (-and: both).
  const both = method === 'grow-diag-final-and';
  for (const direction of [forward, backward]) {
    const ordered = [...direction].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [s, t] of ordered) {
      const sourceFree = !alignment.sourceAligned(s);
      const targetFree = !alignment.targetAligned(t);
      if (both ? sourceFree && targetFree : sourceFree || targetFree) alignment.add(s, t);
    }
  }
  return alignment.sorted();
}
