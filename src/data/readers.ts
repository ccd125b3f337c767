/**
 * Readers for parallel corpora: tab-separated pair files (Tatoeba/Anki style) and line-aligned Moses file pairs.
 *
 * Every reader is strict: a malformed line is a `CorpusError` naming the file and 1-based line, never a silently
 * dropped or misaligned pair, because a shifted line in a parallel corpus quietly teaches the model garbage.
 */
import { readFileSync } from 'node:fs';
// The same class as the global TextDecoder; imported because the project's `lib` setting has no DOM types.
import { TextDecoder } from 'node:util';
import { CorpusError, type SentencePair } from './types.js';

/**
 * Characters removed outright by `normalizeText`:
 * - C0 controls except the whitespace ones (TAB LF VT FF CR, which become spaces), DEL, and C1 controls except
 *   NEL (U+0085, also whitespace);
 * - zero-width characters that carry no meaning for translation: ZERO WIDTH SPACE, LEFT-TO-RIGHT / RIGHT-TO-LEFT
 *   MARK, WORD JOINER and ZERO WIDTH NO-BREAK SPACE (a stray BOM).
 *
 * ZERO WIDTH NON-JOINER (U+200C) and ZERO WIDTH JOINER (U+200D) are deliberately kept: they change spelling in
 * Persian and Indic scripts and hold emoji sequences together, so removing them would alter the text.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point of this pattern
const INVISIBLE = /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u200B\u200E\u200F\u2060\uFEFF]/g;

/** Any run of Unicode whitespace: ASCII space and tab, line breaks, NBSP, NEL, the U+2000 block, ideographic space… */
const WHITESPACE_RUN = /\p{White_Space}+/gu;

/**
 * Cleans one sentence the same way for training data and for user input at translation time, so the model never
 * sees text shaped differently from what it was trained on.
 *
 * - removes control characters and meaningless zero-width characters (see `INVISIBLE` above);
 * - applies Unicode NFC, so "é" typed as e + combining accent equals the precomposed "é";
 * - turns every whitespace run (tabs, line breaks, NBSP, other Unicode spaces) into one ASCII space and trims.
 *
 * Nothing else changes: case, punctuation and quotes are left alone. Pure and idempotent:
 * `normalizeText(normalizeText(s)) === normalizeText(s)`.
 */
export function normalizeText(s: string): string {
  // Removal comes before NFC so that a zero-width character between a letter and its combining mark
  // does not stop the two from composing.
  return singleSpaced(s.replace(INVISIBLE, '').normalize('NFC'));
}

/** Every whitespace run as one ASCII space, trimmed: normalizeText's last step, also applied to translations. */
export function singleSpaced(s: string): string {
  return s.replace(WHITESPACE_RUN, ' ').trim();
}

export interface ReadTsvOptions {
  /** Use column 2 as the source and column 1 as the target (e.g. to translate Spanish→English from eng-spa.tsv). */
  reverse?: boolean;
}

/**
 * Reads `source<TAB>target[<TAB>attribution]` lines, as in the Tatoeba/Anki files from manythings.org.
 * The optional third column is ignored. Both sides are cleaned with `normalizeText`.
 *
 * Accepts LF or CRLF line ends, a UTF-8 byte order mark, and a single trailing newline. Throws `CorpusError` for a
 * missing or empty file, a binary file (compressed, an archive, a spreadsheet, UTF-16), invalid UTF-8, a carriage return inside a line (CR-only line ends), a blank line anywhere
 * but the very end, a wrong column count, or a side that is empty after clean-up.
 */
export function readTsv(file: string, opts: ReadTsvOptions = {}): SentencePair[] {
  const lines = readUtf8Lines(file);
  const srcColumn = opts.reverse ? 1 : 0;
  const tgtColumn = opts.reverse ? 0 : 1;
  const pairs: SentencePair[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const columns = lines[i].split('\t');
    if (columns.length === 1 && normalizeText(columns[0]) === '') {
      throw new CorpusError('blank line (only the end of the file may have an empty line)', file, line);
    }
    if (columns.length !== 2 && columns.length !== 3) {
      throw new CorpusError(columnCountMessage(columns.length), file, line);
    }
    const src = normalizeText(columns[srcColumn]);
    const tgt = normalizeText(columns[tgtColumn]);
    if (src === '') throw new CorpusError(emptySideMessage('source', srcColumn), file, line);
    if (tgt === '') throw new CorpusError(emptySideMessage('target', tgtColumn), file, line);
    pairs.push({ src, tgt, origin: { file, line } });
  }
  return pairs;
}

/**
 * Reads a Moses-style pair of files: line N of `srcFile` translates to line N of `tgtFile`.
 * Pair origins point at `srcFile`. Same encoding rules as `readTsv`; every line must hold a sentence, and the files
 * must have the same number of lines (otherwise the alignment is unknown and nothing is returned).
 */
export function readMoses(srcFile: string, tgtFile: string): SentencePair[] {
  const srcLines = readUtf8Lines(srcFile);
  const tgtLines = readUtf8Lines(tgtFile);
  if (srcLines.length !== tgtLines.length) {
    throw new CorpusError(
      `line counts differ: ${srcFile} has ${srcLines.length} lines but ${tgtFile} has ${tgtLines.length} lines ` +
        '(parallel files must hold one sentence per line, aligned)',
      srcFile,
    );
  }
  const pairs: SentencePair[] = [];
  for (let i = 0; i < srcLines.length; i++) {
    const line = i + 1;
    const src = normalizeText(srcLines[i]);
    const tgt = normalizeText(tgtLines[i]);
    if (src === '') throw new CorpusError(emptyMosesLineMessage(tgtFile, line), srcFile, line);
    if (tgt === '') throw new CorpusError(emptyMosesLineMessage(srcFile, line), tgtFile, line);
    pairs.push({ src, tgt, origin: { file: srcFile, line } });
  }
  return pairs;
}

function columnCountMessage(found: number): string {
  const hint = found === 1 ? '; no tab found: is the file comma- or space-separated?' : '';
  return `found ${found} column${found === 1 ? '' : 's'}, expected 2 or 3 (source<TAB>target[<TAB>attribution])${hint}`;
}

function emptySideMessage(side: 'source' | 'target', column: number): string {
  return `empty ${side} side (column ${column + 1}) after whitespace clean-up`;
}

function emptyMosesLineMessage(otherFile: string, line: number): string {
  return `empty line; every line needs a sentence aligned with line ${line} of ${otherFile}`;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * The decoded lines of a UTF-8 text file, without line ends. Line N of the result is line N+1 of the file.
 *
 * Decoding line by line (rather than the whole file at once) is what lets invalid UTF-8 be reported with its line
 * number; a fatal decoder makes invalid bytes an error instead of silent U+FFFD replacement characters.
 */
function readUtf8Lines(file: string): string[] {
  const bytes = readBytes(file);
  const binary = binaryKind(bytes);
  // Recognised by its first bytes: line 1. A NUL further in is reported by decodeLine, at its line.
  if (binary) throw new CorpusError(`not a text file: ${binary}`, file, 1);
  const start = hasUtf8Bom(bytes) ? 3 : 0;
  if (isOnlyWhitespace(bytes, start)) throw new CorpusError('empty file (no sentence pairs)', file);

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const lines: string[] = [];
  let pos = start;
  for (;;) {
    const newline = bytes.indexOf(LF, pos);
    const end = newline === -1 ? bytes.length : newline;
    const textEnd = end > pos && bytes[end - 1] === CR ? end - 1 : end;
    // The empty piece after the final newline is the file's trailing newline, not a blank line.
    if (newline === -1 && textEnd === pos) break;
    lines.push(decodeLine(decoder, bytes.subarray(pos, textEnd), file, lines.length + 1));
    if (newline === -1) break;
    pos = newline + 1;
  }
  return lines;
}

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(err);
    throw new CorpusError(`cannot read corpus file: ${reason}`, file);
  }
}

/** Signatures of files people mistake for a corpus: downloads still packed, spreadsheets, documents. */
const MAGIC: { bytes: number[]; what: string }[] = [
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    what: 'a zip archive (or a .xlsx/.docx/.ods file): unzip it and give the text file inside',
  },
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed: decompress it first (gunzip)' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed: decompress it first (bunzip2)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed: decompress it first (unxz)' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed: decompress it first (unzstd)' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive: extract the text file inside' },
  {
    bytes: [0x25, 0x50, 0x44, 0x46],
    what: 'a PDF document: export its sentence pairs as tab-separated UTF-8 text',
  },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0],
    what: 'an old Office document (.xls/.doc): save it as tab-separated UTF-8 text',
  },
];

/** How many leading bytes are checked for a NUL byte (git's binary check reads 8,000). */
const SNIFF_BYTES = 8000;

/**
 * Why `bytes` are not a UTF-8 text file, or undefined when they may be one. Checked before reading lines,
 * because a binary file otherwise fails on whatever byte happens to come first (a CR, invalid UTF-8) with a
 * message about line ends or encodings that sends its owner the wrong way.
 */
export function binaryKind(bytes: Uint8Array): string | undefined {
  for (const { bytes: magic, what } of MAGIC) {
    if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) return `it looks like ${what}`;
  }
  const utf16 = 'UTF-16 text: save it as UTF-8 (e.g. `iconv -f utf-16 -t utf-8`)';
  if (
    bytes.length >= 2 &&
    ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
  ) {
    return `it is ${utf16}`;
  }
  const nul = bytes.subarray(0, SNIFF_BYTES).indexOf(0);
  // Every other byte NUL from the start: ASCII text in UTF-16 without a byte order mark. Other NUL bytes
  // are reported line by line (decodeLine), where they are.
  if (nul === -1 || nul > 1) return undefined;
  const head = bytes.subarray(0, Math.min(bytes.length, 64));
  let nulsAtOneParity = 0;
  for (let i = nul % 2; i < head.length; i += 2) if (head[i] === 0) nulsAtOneParity++;
  if (nulsAtOneParity >= Math.floor(head.length / 2) - 1) return `it looks like ${utf16}`;
  return nulMessage(nul + 1);
}

function nulMessage(byteInLine: number): string {
  return `a NUL byte at byte ${byteInLine} of the line: this is a binary file (compressed, a spreadsheet, a model?), not tab-separated UTF-8 text`;
}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** True when the bytes from `start` are only ASCII spaces, tabs and line ends (or nothing at all). */
function isOnlyWhitespace(bytes: Uint8Array, start: number): boolean {
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== LF && b !== CR) return false;
  }
  return true;
}

function decodeLine(decoder: TextDecoder, bytes: Uint8Array, file: string, line: number): string {
  // No text file has NUL bytes; checked first, so that a binary file is not reported as a line-end problem.
  const nul = bytes.indexOf(0);
  if (nul !== -1) throw new CorpusError(`not a text file: ${nulMessage(nul + 1)}`, file, line);
  // A CR that does not end the line: old Mac (CR-only) line ends, which would silently merge several
  // sentences (or pairs) into one line.
  if (bytes.includes(CR)) {
    throw new CorpusError(
      'carriage return (CR) inside the line: lines must end in LF or CRLF (CR-only line ends? convert e.g. with `tr "\\r" "\\n"`)',
      file,
      line,
    );
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new CorpusError(
      'invalid UTF-8 (the file must be saved as UTF-8; convert e.g. with `iconv -f latin1 -t utf-8`)',
      file,
      line,
    );
  }
}
