/** The configurations `npm run bench --configs` times (src/bench/configs.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { benchConfig } from '../src/bench/configs.js';
import { readModelConfig } from '../src/translate/model-dir.js';
import { SHIPPED_MODEL } from './helpers/model-translator.js';

describe('bench configurations', function () {
  it('"shipped" has the sizes of models/eng-spa, so the bench times what ships', function () {
    if (!fs.existsSync(path.join(SHIPPED_MODEL, 'config.json'))) {
      console.log(`    skipping: ${SHIPPED_MODEL} not found`);
      this.skip();
    }
    const m = readModelConfig(SHIPPED_MODEL).model;
    expect(benchConfig('shipped')).to.deep.equal({
      embeddingSize: m.embeddingSize,
      hiddenSize: m.encoderHiddenSize,
      attentionSize: m.attentionSize,
      outputSize: m.outputSize,
      tokenBudget: 2000,
      sharedTiedCopy: m.tiedEmbeddings === 'all' && m.copyAttention,
    });
  });

  it('keeps the fixed configurations and names the known ones for an unknown name', function () {
    expect(benchConfig('shared-copy')).to.include({
      hiddenSize: 256,
      tokenBudget: 3000,
      sharedTiedCopy: true,
    });
    expect(() => benchConfig('huge')).to.throw(
      'unknown config "huge": expected default, large, shared-copy, shipped',
    );
  });
});
