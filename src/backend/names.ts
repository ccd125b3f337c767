/**
 * The backends' names and the spellings users type for them. Apart from select.ts so that the command-line
 * parsers can check `--backend` without importing TensorFlow.js (select.ts loads and registers it).
 */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Accepts the names users are likely to type: node, tfjs-node, gpu, … */
export function parseBackendName(value: string): BackendName {
  const v = value
    .trim()
    .toLowerCase()
    .replace(/^@tensorflow\//, '')
    .replace(/^tfjs-/, '');
  const aliases: Record<string, BackendName> = {
    'node-gpu': 'tensorflow-gpu',
    gpu: 'tensorflow-gpu',
    'tensorflow-gpu': 'tensorflow-gpu',
    node: 'tensorflow',
    tensorflow: 'tensorflow',
    wasm: 'wasm',
    'backend-wasm': 'wasm',
    cpu: 'cpu',
    'backend-cpu': 'cpu',
  };
  const name = aliases[v];
  if (!name) throw new Error(`Unknown backend "${value}": expected one of ${BACKENDS.join(', ')}`);
  return name;
}
