// Runs Hugging Face `tokenizers` BPE training in a child process. The library's Rust trainer writes
// progress output straight to the process's stdout, which would corrupt the stdout of our commands
// (`npm run -s bench -- --json`, `translate`), so the parent runs this with stdout ignored.
// Usage: node bpe-train-child.mjs <corpus.txt> <out.json> [splitDigits: 0|1] [splitPunctuation: 0|1]
import tokenizers from 'tokenizers';

// The marks of PUNCTUATION_MARKS in train.ts (a .mjs cannot import the .ts).
const PUNCTUATION_MARKS = '.,!?;:';

const [corpus, out, splitDigits, splitPunctuation] = process.argv.slice(2);
const tok = new tokenizers.Tokenizer(tokenizers.BPE.init({}, [], { unkToken: '<unk>' }));
// Strip: the trainer reads lines with their newline, which would otherwise enter the alphabet.
tok.setNormalizer(
  tokenizers.sequenceNormalizer([tokenizers.nfcNormalizer(), tokenizers.stripNormalizer(true, true)]),
);
const steps = [tokenizers.metaspacePreTokenizer()];
// Marks split off the word before them: no merge may join a word and its full stop. The bindings'
// splitPreTokenizer takes a literal string, not a regex, so one split per mark; the tokenizer.json that
// train.ts writes has the same split as one regex, which transformers.js and bpe-dropout.ts read.
if (splitPunctuation === '1')
  for (const mark of PUNCTUATION_MARKS) steps.push(tokenizers.splitPreTokenizer(mark, 'isolated'));
// Digits one per piece: no merge may join two digits, so every number is spelled digit by digit and a
// number never seen in training is written with the same ten pieces as any other.
if (splitDigits === '1') steps.push(tokenizers.digitsPreTokenizer(true));
tok.setPreTokenizer(steps.length === 1 ? steps[0] : tokenizers.sequencePreTokenizer(steps));
tok.setDecoder(tokenizers.metaspaceDecoder());
tok.train([corpus]);
tok.save(out);
