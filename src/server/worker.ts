/**
 * A translation worker thread (see pool.ts; messages in protocol.ts): initialises its own TensorFlow.js
 * backend, loads the model once, then answers `translate` and `align` messages one at a time with plain data. Every
 * tensor lives here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { currentBackend, initBackend } from '../backend/select.js';
import { Translator } from '../translate/translator.js';
import type { FromWorker, ToWorker, WorkerData } from './protocol.js';

if (!parentPort) throw new Error('src/server/worker.ts must run as a worker thread');
const port = parentPort;
const data = workerData as WorkerData;
const post = (msg: FromWorker) => port.postMessage(msg);

async function main(): Promise<void> {
  let translator: Translator;
  try {
    await initBackend(data.backend);
    translator = Translator.load(data.modelDir);
  } catch (err) {
    post({ type: 'fatal', message: (err as Error).message });
    port.close();
    return;
  }
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      translator.dispose();
      port.close();
      return;
    }
    try {
      if (msg.type === 'align') {
        const alignments = translator.align(msg.pairs, msg.opts);
        post({ type: 'aligned', id: msg.id, alignments, tensors: Translator.liveTensors() });
      } else {
        const translations = translator.translate(msg.texts, msg.opts);
        post({ type: 'result', id: msg.id, translations, tensors: Translator.liveTensors() });
      }
    } catch (err) {
      post({ type: 'error', id: msg.id, message: (err as Error).message, tensors: Translator.liveTensors() });
    }
  });
  post({
    type: 'ready',
    backend: currentBackend()?.name ?? 'unknown',
    matmul: currentBackend()?.matmul,
    parameters: translator.parameterCount(),
    config: translator.config,
    tensors: Translator.liveTensors(),
  });
}

void main();
