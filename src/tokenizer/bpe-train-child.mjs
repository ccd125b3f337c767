// Runs Hugging Face `tokenizers` BPE training in a child process. The library's Rust trainer writes
// progress output straight to the process's stdout, which would corrupt the stdout of our commands
// (`npm run -s bench -- --json`, `translate`), so the parent runs this with stdout ignored.
// Usage: node bpe-train-child.mjs <corpus.txt> <out.json> [splitDigits: 0|1]
import tokenizers from 'tokenizers';

const [corpus, out, splitDigits] = process.argv.slice(2);
const tok = new tokenizers.Tokenizer(tokenizers.BPE.init({}, [], { unkToken: '<unk>' }));
// Strip: the trainer reads lines with their newline, which would otherwise enter the alphabet.
tok.setNormalizer(
  tokenizers.sequenceNormalizer([tokenizers.nfcNormalizer(), tokenizers.stripNormalizer(true, true)]),
);
// Digits one per piece: no merge may join two digits, so every number is spelled digit by digit and a
// number never seen in training is written with the same ten pieces as any other.
tok.setPreTokenizer(
  splitDigits === '1'
    ? tokenizers.sequencePreTokenizer([
        tokenizers.metaspacePreTokenizer(),
        tokenizers.digitsPreTokenizer(true),
      ])
    : tokenizers.metaspacePreTokenizer(),
);
tok.setDecoder(tokenizers.metaspaceDecoder());
tok.train([corpus]);
tok.save(out);
