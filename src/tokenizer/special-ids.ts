/**
 * Special token ids shared by every tokenizer this project trains (see train.ts): the tokenizer owns
 * them, and the batches, the model and the searches read them from here.
 */

/** Ids below this are special tokens (<pad>, <unk>, <s>, </s>): never copied from the source. */
export const FIRST_ORDINARY_ID = 4;

export const PAD_ID = 0;
export const UNK_ID = 1;
export const BOS_ID = 2;
export const EOS_ID = 3;
export const SPECIAL_TOKENS = ['<pad>', '<unk>', '<s>', '</s>'] as const;
