/** Text renderings of a translation for the terminal. */
import { attentionLabels } from './alignment.js';
import type { Translation, TranslationHypothesis } from './translator.js';

/** The attention matrix as text: one row per target subword, one column per source subword (weights ×100). */
export function formatAttention(t: Translation, h: TranslationHypothesis): string {
  if (!h.attention || !h.tokens || !t.sourceTokens) return '';
  const rowsLabels = attentionLabels(h.tokens, h.attention.length);
  const labelWidth = Math.max(...rowsLabels.map((s) => s.length), 4);
  const colWidth = Math.max(4, ...t.sourceTokens.map((s) => s.length)) + 1;
  const header = ' '.repeat(labelWidth) + t.sourceTokens.map((s) => s.padStart(colWidth)).join('');
  const lines = h.attention.map(
    (row, i) =>
      rowsLabels[i].padEnd(labelWidth) +
      row.map((w) => String(Math.round(w * 100)).padStart(colWidth)).join(''),
  );
  return [header, ...lines].join('\n');
}
