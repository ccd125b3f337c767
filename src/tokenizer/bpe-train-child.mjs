// Runs Hugging Face `tokenizers` BPE training in a child process. The library's Rust trainer writes
// progress output straight to the process's stdout, which would corrupt the stdout of our commands
// (`npm run -s bench -- --json`, `translate`), so the parent runs this with stdout ignored.
// Usage: node bpe-train-child.mjs <corpus.txt> <out.json>
import tokenizers from 'tokenizers';

const [corpus, out] = process.argv.slice(2);
const tok = new tokenizers.Tokenizer(tokenizers.BPE.init({}, [], { unkToken: '<unk>' }));
// Strip: the trainer reads lines with their newline, which would otherwise enter the alphabet.
tok.setNormalizer(
  tokenizers.sequenceNormalizer([tokenizers.nfcNormalizer(), tokenizers.stripNormalizer(true, true)]),
);
tok.setPreTokenizer(tokenizers.metaspacePreTokenizer());
tok.setDecoder(tokenizers.metaspaceDecoder());
tok.train([corpus]);
tok.save(out);
