/**
 * (a) Every kernel that src/backend/install.ts puts on wasm (src/backend/wasm/) against the `cpu` backend,
 *     on the same random inputs (each backend builds its tensors from the same Float32Array).
 * (b) Backend selection (src/backend/select.ts): name parsing in-process; NMT_BACKEND, requested
 *     backends that cannot load and automatic selection in child processes, because initBackend caches
 *     its choice for the life of a process.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { BACKENDS, parseBackendName } from '../src/backend/names.js';
import { backendOption } from '../src/cli/args.js';
import { currentBackend, initBackend } from '../src/backend/select.js';
import { type NativeBlas, type PackedMatrix, loadNativeBlas } from '../src/backend/native-blas.js';
import { SOFTMAX_XENT } from '../src/backend/wasm/softmax-xent.js';
import { smoothedCrossEntropy } from '../src/model/loss.js';
import { installKernels } from '../src/backend/install.js';
import { float32Values } from '../src/backend/kernels.js';
import { TESTED_TFJS_VERSION, tfjsVersionWarnings } from '../src/backend/tfjs-version.js';
import { NATIVE_MIN_ROWS, SMALL_GEMM_MAX_ROWS } from '../src/backend/wasm/matmul-native.js';
import { fastTanh } from '../src/backend/wasm/tanh.js';
import { rowStatsInJs, rowStatsInNative } from '../src/backend/wasm/fused-softmax.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../src/util/rng.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The wasm backend's own bookkeeping: how many buffers it holds and how big its heap is. */
interface WasmInternals {
  numDataIds(): number;
  wasm: { HEAPU8: Uint8Array };
}
const wasmBackend = (): WasmInternals => tf.findBackend('wasm') as unknown as WasmInternals;

function randomArray(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * scale;
  return a;
}

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** A float32 tensor of `shape` with fixed random values (built on whatever backend is active). */
function randomInput(shape: number[], seed: number, scale = 1): () => tf.Tensor {
  const values = randomArray(sizeOf(shape), new Rng(seed), scale);
  return () => tf.tensor(values, shape, 'float32');
}

interface Result {
  shape: number[];
  dtype: string;
  values: ArrayLike<number>;
}

/** Run `fn` on one backend; read back every output and free everything it made. */
async function runOn(backend: 'wasm' | 'cpu', fn: () => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  expect(await tf.setBackend(backend)).to.equal(true);
  const outs = tf.tidy(() => {
    const o = fn();
    return Array.isArray(o) ? o : [o];
  });
  const results = outs.map((t) => ({ shape: t.shape, dtype: t.dtype, values: t.dataSync().slice() }));
  tf.dispose(outs);
  return results;
}

/**
 * Largest |wasm − cpu| over all outputs must be within tol · max(1, |cpu|) elementwise (relative for
 * values of magnitude ≥ 1, absolute below, where float32 cancellation makes relative error meaningless).
 * Also checks that the wasm run leaves no buffers behind (a kernel-level leak is invisible to
 * tf.memory().numTensors).
 */
async function expectSameOnBothBackends(
  label: string,
  fn: () => tf.Tensor | tf.Tensor[],
  tol = 1e-5,
): Promise<Result[]> {
  await tf.setBackend('wasm');
  const buffersBefore = wasmBackend().numDataIds();
  const w = await runOn('wasm', fn);
  expect(wasmBackend().numDataIds(), `${label}: wasm buffers leaked`).to.equal(buffersBefore);
  const c = await runOn('cpu', fn);
  await tf.setBackend('wasm');
  expect(w.length, `${label}: number of outputs`).to.equal(c.length);
  for (let k = 0; k < c.length; k++) {
    expect(w[k].shape, `${label}: shape of output ${k}`).to.deep.equal(c[k].shape);
    expect(w[k].dtype, `${label}: dtype of output ${k}`).to.equal(c[k].dtype);
    expect(w[k].values.length).to.equal(c[k].values.length);
    let worst = 0;
    let worstAt = -1;
    for (let i = 0; i < c[k].values.length; i++) {
      const a = w[k].values[i];
      const b = c[k].values[i];
      const excess = Math.abs(a - b) / Math.max(1, Math.abs(b));
      if (!(excess <= worst)) {
        worst = excess;
        worstAt = i;
      }
    }
    expect(
      worst,
      `${label}: output ${k} [${c[k].shape}] differs at flat index ${worstAt}: ` +
        `wasm ${w[k].values[worstAt]} vs cpu ${c[k].values[worstAt]}`,
    ).to.be.at.most(tol);
  }
  return c;
}

describe('wasm kernel fixes agree with the cpu backend', () => {
  let previousBackend: string;

  before(async () => {
    await initBackend('wasm');
    // initBackend keeps the first choice of the process; if that was not wasm (NMT_BACKEND=cpu, or
    // another test file), load wasm and its kernel fixes here.
    if (!tf.findBackend('wasm')) await import('@tensorflow/tfjs-backend-wasm');
    previousBackend = tf.getBackend();
    expect(await tf.setBackend('wasm')).to.equal(true);
    installKernels();
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm'), 'UnsortedSegmentSum registered on wasm').to.not.equal(
      undefined,
    );
  });

  after(async () => {
    await tf.setBackend(previousBackend);
  });

  afterEach(async () => {
    await tf.setBackend('wasm');
  });

  it('BatchMatMul on 2-D inputs, all four transpose combinations', async () => {
    const [M, K, N] = [7, 13, 5];
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const a = randomInput(tA ? [K, M] : [M, K], 1);
        const b = randomInput(tB ? [N, K] : [K, N], 2);
        await expectSameOnBothBackends(`matMul tA=${tA} tB=${tB}`, () => tf.matMul(a(), b(), tA, tB));
      }
    }
  });

  it('BatchMatMul on batched 3-D inputs, incl. a broadcast batch and size-1 rows/columns', async () => {
    const cases: { B: [number, number]; M: number; K: number; N: number }[] = [
      { B: [3, 3], M: 4, K: 6, N: 5 },
      { B: [1, 3], M: 4, K: 6, N: 5 }, // a is broadcast over b's batch
      { B: [3, 1], M: 4, K: 6, N: 5 },
      { B: [2, 2], M: 1, K: 6, N: 5 }, // transposing a [B, 1, K] is a no-op perm inside Transpose
      { B: [2, 2], M: 4, K: 1, N: 5 },
      { B: [2, 2], M: 4, K: 6, N: 1 },
    ];
    for (const { B, M, K, N } of cases) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const a = randomInput([B[0], ...(tA ? [K, M] : [M, K])], 3);
          const b = randomInput([B[1], ...(tB ? [N, K] : [K, N])], 4);
          await expectSameOnBothBackends(`batched matMul B=${B} M=${M} K=${K} N=${N} tA=${tA} tB=${tB}`, () =>
            tf.matMul(a(), b(), tA, tB),
          );
        }
      }
    }
  });

  it('BatchMatMul on a larger product with transposes (tolerance 1e-4)', async () => {
    const [M, K, N] = [96, 256, 80];
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const a = randomInput(tA ? [K, M] : [M, K], 5);
      const b = randomInput(tB ? [N, K] : [K, N], 6);
      await expectSameOnBothBackends(
        `large matMul tA=${tA} tB=${tB}`,
        () => tf.matMul(a(), b(), tA, tB),
        1e-4,
      );
    }
  });

  it('_FusedMatMul with bias, activation and transposes (2-D, and 3-D with one batch)', async () => {
    const [M, K, N] = [6, 9, 7];
    const bias = randomInput([N], 7);
    for (const batch of [[], [1]]) {
      for (const activation of ['linear', 'relu'] as const) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            const a = randomInput([...batch, ...(tA ? [K, M] : [M, K])], 8);
            const b = randomInput([...batch, ...(tB ? [N, K] : [K, N])], 9);
            await expectSameOnBothBackends(
              `fused.matMul batch=[${batch}] ${activation} tA=${tA} tB=${tB}`,
              () =>
                tf.fused.matMul({ a: a(), b: b(), transposeA: tA, transposeB: tB, bias: bias(), activation }),
            );
          }
        }
      }
    }
  });

  it('_FusedMatMul on batched 3-D inputs without bias, all transposes', async () => {
    const [B, M, K, N] = [3, 4, 6, 5];
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const a = randomInput([B, ...(tA ? [K, M] : [M, K])], 10);
        const b = randomInput([B, ...(tB ? [N, K] : [K, N])], 11);
        await expectSameOnBothBackends(`fused.matMul batched tA=${tA} tB=${tB}`, () =>
          tf.fused.matMul({ a: a(), b: b(), transposeA: tA, transposeB: tB, activation: 'relu' }),
        );
      }
    }
  });

  it('_FusedMatMul on batched 3-D inputs with bias', async function () {
    // tfjs-backend-wasm 4.22's native _FusedMatMul adds the bias wrongly when batch > 1, M > 1 and N > 1
    // (with or without transposes, with or without the wrapper in src/backend/wasm/matmul-transpose.ts):
    // e.g. row 1 of [3, 2, 2] × bias [10, 20] gets [20, 20]. Nothing in src/model uses fused.matMul
    // (linear() is matMul + add). This test runs once that is fixed (upstream or in the wrapper) and
    // guards it then.
    const probe = tf.tidy(() =>
      tf.fused
        .matMul({ a: tf.zeros([2, 2, 1]), b: tf.zeros([2, 1, 2]), bias: tf.tensor1d([10, 20]) })
        .dataSync()
        .slice(),
    );
    if (Array.from(probe).join() !== '10,20,10,20,10,20,10,20') this.skip();
    const [B, M, K, N] = [3, 4, 6, 5];
    const bias = randomInput([N], 12);
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const a = randomInput([B, ...(tA ? [K, M] : [M, K])], 13);
        const b = randomInput([B, ...(tB ? [N, K] : [K, N])], 14);
        await expectSameOnBothBackends(`fused.matMul batched with bias tA=${tA} tB=${tB}`, () =>
          tf.fused.matMul({ a: a(), b: b(), transposeA: tA, transposeB: tB, bias: bias() }),
        );
      }
    }
  });

  it('a transposed product of a reshaped view is not served the transpose cached for its source shape', async () => {
    // Reshape shares its source's data: the cached transpose of x [2, 3, 4] must not come back for the
    // [6, 4] view of the same buffer (the wrapped _FusedMatMul transposes through the cache).
    const x = randomInput([2, 3, 4], 61);
    const w3 = randomInput([2, 3, 5], 62);
    const w2 = randomInput([6, 5], 63);
    await expectSameOnBothBackends('3-D then its 2-D view, transposeA', () => {
      const xv = x();
      const first = tf.fused.matMul({ a: xv, b: w3(), transposeA: true });
      const second = tf.fused.matMul({ a: tf.reshape(xv, [6, 4]), b: w2(), transposeA: true });
      return [first, second];
    });
  });

  it('gradients of matMul and fused.matMul (transposed products inside) match', async () => {
    const a = randomInput([5, 8], 10);
    const b = randomInput([8, 6], 11);
    const bias = randomInput([6], 12);
    const dy = randomInput([5, 6], 13);
    await expectSameOnBothBackends('grad matMul', () =>
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), dy())))([a(), b()]),
    );
    await expectSameOnBothBackends('grad fused.matMul', () =>
      tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.matMul({ a: x, b: y, bias: z, activation: 'relu' }), dy())),
      )([a(), b(), bias()]),
    );
  });

  it('UnsortedSegmentSum: gather gradient with repeated ids, and the op directly', async () => {
    const table = randomInput([11, 4], 14);
    // 2-D ids as in an embedding look-up of a [B, S] batch; ids 3 and 0 repeat, 10 is the last row.
    const ids = [3, 0, 3, 7, 10, 3, 0, 1, 3, 5, 5, 0];
    const dy = randomInput([3, 4, 4], 15);
    await expectSameOnBothBackends('grad of gather (2-D ids)', () =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor2d(ids, [3, 4], 'int32')), dy())))(
        table(),
      ),
    );
    await expectSameOnBothBackends('grad of gather (1-D ids)', () =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d([2, 2, 2, 9, 2], 'int32')))))(
        table(),
      ),
    );
    const x2 = randomInput([12, 3], 16);
    await expectSameOnBothBackends('unsortedSegmentSum 2-D', () =>
      tf.unsortedSegmentSum(x2(), tf.tensor1d(ids, 'int32'), 13),
    );
    const x1 = randomInput([12], 17);
    await expectSameOnBothBackends('unsortedSegmentSum 1-D', () =>
      tf.unsortedSegmentSum(x1(), tf.tensor1d(ids, 'int32'), 11),
    );
    // Hand-checked values, independent of the cpu backend.
    const direct = tf.tidy(() =>
      tf
        .unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), tf.tensor1d([1, 1, 0], 'int32'), 3)
        .arraySync(),
    );
    expect(direct).to.deep.equal([
      [5, 6],
      [4, 6],
      [0, 0],
    ]);
  });

  /** Both wasm Tanh kernels: the native one when the addon is installed, and the JavaScript fastTanh. */
  const tanhVariants = (): [string, tf.KernelConfig | undefined][] => {
    const current = tf.getKernel('Tanh', 'wasm');
    const js = { kernelName: 'Tanh', backendName: 'wasm', kernelFunc: fastTanh };
    return current?.kernelFunc === fastTanh
      ? [['fastTanh', undefined]]
      : [
          ['native', undefined],
          ['fastTanh', js],
        ];
  };
  async function withTanh(kernel: tf.KernelConfig | undefined, fn: () => Promise<void>): Promise<void> {
    const current = tf.getKernel('Tanh', 'wasm');
    if (kernel && current) {
      tf.unregisterKernel('Tanh', 'wasm');
      tf.registerKernel(kernel);
    }
    try {
      await fn();
    } finally {
      if (kernel && current) {
        tf.unregisterKernel('Tanh', 'wasm');
        tf.registerKernel(current);
      }
    }
  }

  it('Tanh (native and fastTanh), incl. large |x|, tiny |x| and exact zeros', async () => {
    for (const [variant, kernel] of tanhVariants()) {
      await withTanh(kernel, async () => {
        const special = [
          0, -0, 1e-6, -1e-6, 1e-3, 0.5, -0.5, 1, -1, 5, -5, 9, -9, 15, -15, 30, -30, 44, -44, 100, -100,
        ];
        const rnd = randomArray(1000, new Rng(18), 40);
        const values = Float32Array.from([...special, ...rnd]);
        const [cpu] = await expectSameOnBothBackends(`${variant} tanh`, () => tf.tanh(tf.tensor1d(values)));
        // Saturation must be exact (a value just above 1 would make 1 − tanh² negative in gradients).
        const w = tf.tidy(() =>
          tf
            .tanh(tf.tensor1d([30, -30, 100, -100]))
            .dataSync()
            .slice(),
        );
        expect(Array.from(w), variant).to.deep.equal([1, -1, 1, -1]);
        expect(cpu.values[0]).to.equal(0);
        await expectSameOnBothBackends(`${variant} tanh on 3-D`, () =>
          tf.tanh(randomInput([3, 4, 5], 19, 3)()),
        );
        await expectSameOnBothBackends(`${variant} grad of tanh`, () =>
          tf.grad((x: tf.Tensor) => tf.sum(tf.tanh(x)))(tf.tensor1d(values)),
        );
      });
    }
  });

  it('Tanh on a tensor large enough to grow the wasm heap inside the kernel', async function () {
    this.timeout(60000);
    const heap = () => wasmBackend().wasm.HEAPU8.buffer.byteLength;
    // The kernel allocates two more tensors the size of its input; an input of ~1/3 of the current heap
    // (at least 2M elements) leaves no room for them, so the heap grows while the kernel holds views.
    let n = Math.max(2_000_000, Math.ceil(heap() / 4 / 3));
    let grew = false;
    for (let attempt = 0; attempt < 3 && !grew; attempt++, n *= 2) {
      const values = randomArray(n, new Rng(20 + attempt), 20);
      await tf.setBackend('wasm');
      const x = tf.tensor1d(values);
      const before = heap();
      const y = tf.tanh(x);
      grew = heap() > before;
      const got = y.dataSync();
      x.dispose();
      y.dispose();
      if (!grew) continue;
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - Math.tanh(values[i])));
      expect(worst, `tanh of ${n} elements vs Math.tanh`).to.be.at.most(1e-6);
      // And the cpu backend on the same values (compared on a strided sample to keep the test fast).
      await tf.setBackend('cpu');
      const ref = tf.tidy(() => tf.tanh(tf.tensor1d(values)).dataSync().slice());
      await tf.setBackend('wasm');
      for (let i = 0; i < n; i += 997) {
        expect(Math.abs(got[i] - ref[i]), `element ${i}`).to.be.at.most(1e-6);
      }
    }
    expect(grew, 'the wasm heap never grew during tanh').to.equal(true);
  });

  it('Slice: 1-D to 4-D, partial and whole axes, numeric begin, size -1, int32', async () => {
    const cases: { shape: number[]; begin: number | number[]; size?: number | number[] }[] = [
      { shape: [10], begin: [3], size: [4] },
      { shape: [10], begin: 0, size: 10 },
      { shape: [10], begin: [9], size: [1] },
      { shape: [6, 7], begin: [1, 2], size: [3, 4] }, // partial last axis
      { shape: [6, 7], begin: [2, 0], size: [3, 7] }, // whole rows: one contiguous run
      { shape: [6, 7], begin: [0, 6], size: [6, 1] }, // a single column
      { shape: [6, 7], begin: [1, 1], size: [-1, -1] },
      { shape: [6, 7], begin: 4 },
      { shape: [4, 5, 6], begin: [1, 0, 0], size: [2, 5, 6] },
      { shape: [4, 5, 6], begin: [1, 2, 0], size: [2, 2, 6] }, // partial middle axis, whole last
      { shape: [4, 5, 6], begin: [0, 0, 2], size: [4, 5, 3] }, // partial last axis only
      { shape: [4, 5, 6], begin: [1, 1, 1], size: [3, 3, 4] },
      { shape: [4, 5, 6], begin: [3, 4, 5], size: [1, 1, 1] },
      { shape: [4, 5, 6], begin: [0, 2], size: [-1, 2] }, // short begin/size arrays
      { shape: [4, 5, 6], begin: [0, 0, 0], size: [0, 5, 6] }, // empty
      { shape: [2, 3, 4, 5], begin: [1, 0, 1, 0], size: [1, 3, 2, 5] },
      { shape: [2, 3, 4, 5], begin: [0, 1, 0, 2], size: [2, 2, 4, 3] },
    ];
    for (const [k, { shape, begin, size }] of cases.entries()) {
      const x = randomInput(shape, 30 + k);
      await expectSameOnBothBackends(`slice [${shape}] begin=${begin} size=${size}`, () =>
        tf.slice(x(), begin, size),
      );
    }
    const ints = Int32Array.from({ length: 60 }, (_, i) => i * 7 - 100);
    await expectSameOnBothBackends('slice int32', () =>
      tf.slice(tf.tensor3d(ints, [3, 4, 5], 'int32'), [1, 1, 2], [2, 3, 2]),
    );
    const x = randomInput([4, 5, 6], 50);
    await expectSameOnBothBackends('grad of slice', () =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.slice(t, [1, 2, 3], [2, 2, 2]))))(x()),
    );
  });

  it('Unpack (unstack) along axes 0, 1, 2 and -1, float32 and int32', async () => {
    const x = randomInput([3, 4, 5], 51);
    for (const axis of [0, 1, 2, -1]) {
      await expectSameOnBothBackends(`unstack axis ${axis}`, () => tf.unstack(x(), axis));
    }
    const x2 = randomInput([4, 6], 52);
    for (const axis of [0, 1]) {
      await expectSameOnBothBackends(`unstack 2-D axis ${axis}`, () => tf.unstack(x2(), axis));
    }
    const ints = Int32Array.from({ length: 24 }, (_, i) => i - 5);
    await expectSameOnBothBackends('unstack int32', () =>
      tf.unstack(tf.tensor3d(ints, [2, 3, 4], 'int32'), 1),
    );
    const dy = randomInput([3, 5], 53);
    await expectSameOnBothBackends('grad of unstack', () =>
      tf.grad((t: tf.Tensor) =>
        tf.add(tf.sum(tf.mul(tf.unstack(t, 1)[2], dy())), tf.sum(tf.unstack(t, 1)[0])),
      )(x()),
    );
  });

  it('SplitV along every axis, equal and unequal sizes, -1, int32', async () => {
    const cases: { shape: number[]; split: number | number[]; axis: number }[] = [
      { shape: [6, 1024], split: 4, axis: 1 }, // LSTM gates
      { shape: [6, 768], split: [512, 256], axis: 1 }, // GRU r,z | n
      { shape: [6, 768], split: [256, -1], axis: -1 },
      { shape: [6, 10], split: 2, axis: 0 },
      { shape: [3, 4, 10], split: [1, 3], axis: 1 },
      { shape: [3, 4, 10], split: [2, 3, 5], axis: 2 },
      { shape: [5], split: [2, 3], axis: 0 },
    ];
    for (const [k, { shape, split, axis }] of cases.entries()) {
      const x = randomInput(shape, 90 + k);
      await expectSameOnBothBackends(`split [${shape}] ${JSON.stringify(split)} axis ${axis}`, () =>
        tf.split(x(), split, axis),
      );
    }
    const ints = tf.tensor2d(
      Int32Array.from({ length: 24 }, (_, i) => i - 7),
      [4, 6],
      'int32',
    );
    await expectSameOnBothBackends('split int32', () => tf.split(ints.clone(), [2, 4], 1));
    ints.dispose();
  });

  it('Identity shares the data: the copy outlives its source and the source outlives the copy, nothing leaks', async () => {
    await tf.setBackend('wasm');
    const before = wasmBackend().numDataIds();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x); // runs the Identity kernel
    expect(wasmBackend().numDataIds(), 'one buffer for both').to.equal(before + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const z = tf.clone(y);
    z.dispose();
    expect(Array.from(y.dataSync()), 'disposing a copy leaves the data').to.deep.equal([1, 2, 3, 4, 5, 6]);
    y.dispose();
    expect(wasmBackend().numDataIds(), 'freed with the last reference').to.equal(before);
    // Gradients pass through Identity kernels: the same values as on cpu.
    const w = randomInput([6, 4], 41);
    await expectSameOnBothBackends('grad through clone', () =>
      tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.clone(tf.clone(v)))))(w()),
    );
  });

  it('float32Values reads a tensor without a copy on wasm (the same numbers as dataSync), and copies elsewhere', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await tf.setBackend(backend);
      const x = tf.tensor2d([1.5, -2, 3.25, 4, 5, 6], [2, 3]);
      const view = float32Values(x);
      expect(Array.from(view), backend).to.deep.equal(Array.from(x.dataSync()));
      expect(view.length).to.equal(6);
      x.dispose();
    }
    await tf.setBackend('wasm');
  });

  it('Sum over leading axes and over trailing axes (the matmul paths), keepDims, other axes, small inputs, int32', async () => {
    // The override only takes over when the reduced leading axes have ≥ 64 elements; cover both sides.
    const cases: { shape: number[]; axis?: number | number[]; keepDims?: boolean; tol?: number }[] = [
      { shape: [200, 33], axis: 0 },
      { shape: [200, 33], axis: 0, keepDims: true },
      { shape: [200, 33], axis: -2 },
      { shape: [16, 8, 21], axis: [0, 1] },
      { shape: [16, 8, 21], axis: [1, 0], keepDims: true },
      { shape: [70, 3, 4], axis: 0, keepDims: true },
      { shape: [1280, 500], axis: 0, tol: 1e-4 }, // a bias gradient of realistic size: 1280-term sums
      { shape: [10, 33], axis: 0 }, // < 64 rows: the original kernel
      { shape: [200, 33], axis: 1 }, // trailing, < 64 per row: the original kernel
      { shape: [200, 33], axis: -1, keepDims: true },
      { shape: [16, 8, 21], axis: [1, 2] }, // trailing, 168 per row: the matmul path
      { shape: [40, 300], axis: 1 },
      { shape: [40, 300], axis: -1, keepDims: true },
      { shape: [130, 800], axis: 1, tol: 1e-4 }, // row sums of loss terms, 800-term sums
      { shape: [4, 5, 70], axis: [2], keepDims: true },
      { shape: [16, 8, 21], axis: 1 },
      { shape: [16, 8, 21], axis: [0, 2] },
      { shape: [16, 8, 21] }, // all axes
      { shape: [16, 8, 21], axis: [0, 1, 2], keepDims: true },
      { shape: [300], axis: 0 },
    ];
    for (const [k, { shape, axis, keepDims, tol }] of cases.entries()) {
      const x = randomInput(shape, 60 + k);
      await expectSameOnBothBackends(
        `sum [${shape}] axis=${axis} keepDims=${keepDims}`,
        () => tf.sum(x(), axis, keepDims),
        tol,
      );
    }
    const ints = Int32Array.from({ length: 100 * 3 }, (_, i) => (i % 17) - 8);
    await expectSameOnBothBackends('sum int32 axis 0', () => tf.sum(tf.tensor2d(ints, [100, 3], 'int32'), 0));
    // The bias gradient of x W + b sums dy over its rows.
    const dy = randomInput([128, 9], 80);
    const w = randomInput([5, 9], 81);
    const xin = randomInput([128, 5], 82);
    await expectSameOnBothBackends('bias gradient', () =>
      tf.grads((b: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(xin(), w()), b), dy())))([tf.zeros([9])]),
    );
  });
});

describe('native OpenBLAS matmul on the wasm heap (native/, optional)', function () {
  let blas: NativeBlas | undefined;
  let calls = 0;
  let original: NativeBlas['sgemm'] | undefined;
  let packedCalls = 0;
  let originalPacked: NativeBlas['gemmPacked'] | undefined;
  /** Whether the installed BatchMatMul uses the packed kernels (an AVX2 CPU, NMT_PACKED_GEMM not 0). */
  let packedGemm = false;

  before(async function () {
    await initBackend('wasm');
    if (!tf.findBackend('wasm')) await import('@tensorflow/tfjs-backend-wasm');
    expect(await tf.setBackend('wasm')).to.equal(true);
    packedGemm = installKernels().packedGemm;
    const native = loadNativeBlas();
    if (!native.blas) {
      // CI installs libopenblas-dev and sets NMT_REQUIRE_NATIVE_BLAS=1, so there this is a failure.
      if (process.env.NMT_REQUIRE_NATIVE_BLAS === '1')
        throw new Error(`native BLAS required: ${native.reason}`);
      this.test!.parent!.title += ` [skipped: ${native.reason}]`;
      this.skip();
    }
    blas = native.blas;
    // Count the products that reach OpenBLAS (the kernel looks sgemm up at every call).
    original = blas.sgemm.bind(blas);
    blas.sgemm = (...args: Parameters<NativeBlas['sgemm']>) => {
      calls++;
      original!(...args);
    };
    originalPacked = blas.gemmPacked.bind(blas);
    blas.gemmPacked = (...args: Parameters<NativeBlas['gemmPacked']>) => {
      packedCalls++;
      originalPacked!(...args);
    };
  });

  after(() => {
    if (blas && original) blas.sgemm = original;
    if (blas && originalPacked) blas.gemmPacked = originalPacked;
  });

  /** `fn` on wasm and cpu agree, and wasm sent `expected` products to OpenBLAS. */
  async function expectNative(
    label: string,
    expected: number,
    fn: () => tf.Tensor | tf.Tensor[],
    tol = 1e-5,
  ) {
    const before = calls;
    await expectSameOnBothBackends(label, fn, tol);
    expect(calls - before, `${label}: products run by OpenBLAS`).to.equal(expected);
  }

  it('2-D products from NATIVE_MIN_ROWS rows up, all transposes; fewer rows too when the packed kernels are on and nothing is transposed', async () => {
    // (Fewer rows against a matrix seen for the first time: OpenBLAS's gemv when the packed kernels are
    // on, since XNNPACK would repack the matrix; with a transpose, XNNPACK.)
    const packedOn = packedGemm;
    for (const M of [1, NATIVE_MIN_ROWS - 1, NATIVE_MIN_ROWS, 37]) {
      const [K, N] = [29, 41];
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const a = randomInput(tA ? [K, M] : [M, K], 101);
          const b = randomInput(tB ? [N, K] : [K, N], 102);
          const expected = M >= NATIVE_MIN_ROWS || (packedOn && !tA && !tB) ? 1 : 0;
          await expectNative(`M=${M} tA=${tA} tB=${tB}`, expected, () => tf.matMul(a(), b(), tA, tB));
        }
      }
    }
  });

  it('batched products in one call, incl. one row each, broadcast batches and 4-D inputs', async () => {
    const cases: { a: number[]; b: number[] }[] = [
      { a: [3, 1, 16], b: [3, 16, 24] }, // attention context: one row per sentence
      { a: [1, 5, 16], b: [3, 16, 24] }, // a broadcast over b's batch
      { a: [3, 5, 16], b: [16, 24] }, // b broadcast (2-D)
      { a: [2, 3, 5, 16], b: [2, 3, 16, 24] },
    ];
    for (const c of cases) {
      const a = randomInput(c.a, 103);
      const b = randomInput(c.b, 104);
      await expectNative(`[${c.a}] × [${c.b}]`, 1, () => tf.matMul(a(), b()));
    }
    // A batched product whose b is transposed.
    const a = randomInput([4, 6, 16], 105);
    const bt = randomInput([4, 24, 16], 106);
    await expectNative('batched, transposeB', 1, () => tf.matMul(a(), bt(), false, true));
    // One row each, transposeB (OpenBLAS's gemv on B as stored).
    const a1 = randomInput([4, 1, 16], 112);
    await expectNative('batched one row, transposeB', 1, () => tf.matMul(a1(), bt(), false, true));
  });

  it('gradients of a recurrent-style product chain match the cpu backend', async () => {
    const w = randomInput([32, 48], 107);
    const x = randomInput([20, 32], 108);
    await expectSameOnBothBackends(
      'grad',
      () =>
        tf.grads((wv: tf.Tensor, xv: tf.Tensor) =>
          tf.sum(tf.tanh(tf.matMul(tf.matMul(xv, wv), wv, false, true))),
        )([w(), x()]),
      1e-4,
    );
  });

  it('a product whose output grows the wasm heap reads its inputs after the growth', async function () {
    this.timeout(60000);
    const heap = () => wasmBackend().wasm.HEAPU8.buffer.byteLength;
    const K = 8;
    const [M, N] = [1024, Math.max(4096, Math.ceil(heap() / 4 / 1024))];
    const a = randomInput([M, K], 109);
    const b = randomInput([K, N], 110);
    const before = heap();
    const c = await expectSameOnBothBackends('heap growth', () => tf.matMul(a(), b()), 1e-5);
    expect(c[0].shape).to.deep.equal([M, N]);
    expect(heap(), 'the heap grew').to.be.above(before);
  });

  /** [rows, cols] values that are all exact float16 numbers (multiples of 1/256 in ±4), or not. */
  function matrixValues(rows: number, cols: number, seed: number, exactInHalf: boolean): Float32Array {
    const rng = new Rng(seed);
    return Float32Array.from({ length: rows * cols }, () => {
      const x = rng.next() * 8 - 4;
      return exactInHalf ? Math.round(x * 256) / 256 : x;
    });
  }

  /** C = A · B in float64, row-major. */
  function reference(a: Float32Array, b: Float32Array, M: number, K: number, N: number): number[] {
    const c = new Array<number>(M * N).fill(0);
    for (let i = 0; i < M; i++)
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) c[i * N + j] += a[i * K + k] * b[k * N + j];
    return c;
  }

  it('few-row products against a matrix used before run in the packed kernels, with every tail', function () {
    if (!packedGemm) this.skip();
    const K = 37;
    for (const exact of [true, false]) {
      for (const N of [16, 41, 70, 130]) {
        const bValues = matrixValues(K, N, N, exact);
        const b = tf.tensor2d(bValues, [K, N]);
        let seen = false;
        for (const M of [1, 2, 3, 5, 6, 7, 12, SMALL_GEMM_MAX_ROWS + 1]) {
          const aValues = matrixValues(M, K, 1000 + M, false);
          const want = reference(aValues, bValues, M, K, N);
          for (let use = 0; use < 3; use++) {
            const before = packedCalls;
            const c = tf.tidy(() => tf.matMul(tf.tensor2d(aValues, [M, K]), b));
            const got = c.dataSync();
            c.dispose();
            // The first few-row product with b only marks it as seen; from the second on, it is packed.
            const small = M <= SMALL_GEMM_MAX_ROWS;
            const packed = small && seen;
            seen ||= small;
            const label = `exact=${exact} M=${M} N=${N} use ${use}`;
            expect(packedCalls - before, `${label}: packed products`).to.equal(packed ? 1 : 0);
            expect(got.length, label).to.equal(M * N);
            for (let i = 0; i < M * N; i++) expect(got[i], `${label} [${i}]`).to.be.closeTo(want[i], 1e-3);
          }
        }
        b.dispose();
      }
    }
  });

  it('pack stores float16 only when every value is exactly a float16; gemmPacked checks its bounds', function () {
    if (!blas!.smallGemmAvailable()) this.skip();
    const [K, N] = [3, 20];
    const heap = new ArrayBuffer(4 * (K * N + 2 * K + 2 * N));
    const f = new Float32Array(heap);
    f.set(matrixValues(K, N, 7, true));
    const half = blas!.pack(heap, 0, K, N);
    // Panels of 16 columns, the last zero-padded: 2 panels × K rows × 16 values × 2 bytes.
    expect(blas!.packedInfo(half)).to.deep.equal({ k: K, n: N, dtype: 'float16', bytes: 2 * K * 16 * 2 });
    f[5] = 0.1; // not a float16 number
    const single = blas!.pack(heap, 0, K, N);
    expect(blas!.packedInfo(single)).to.deep.equal({ k: K, n: N, dtype: 'float32', bytes: 2 * K * 16 * 4 });
    // Two rows of A after B, C after them.
    const aOff = 4 * K * N;
    const cOff = aOff + 4 * 2 * K;
    f.set([1, 0, 0, 0, 0, 1], K * N); // rows: e_0 and e_2
    originalPacked!(heap, single, 2, aOff, cOff);
    expect(Array.from(new Float32Array(heap, cOff, N))).to.deep.equal(Array.from(f.subarray(0, N)));
    expect(Array.from(new Float32Array(heap, cOff + 4 * N, N))).to.deep.equal(
      Array.from(f.subarray(2 * N, 3 * N)),
    );
    expect(() => originalPacked!(heap, single, 3, aOff, cOff)).to.throw(
      'gemmPacked: a matrix runs past the end of the heap',
    );
    expect(() => originalPacked!(heap, single, 1, aOff + 2, cOff)).to.throw('multiples of 4 bytes');
    expect(() => blas!.pack(heap, heap.byteLength - 4 * K * N + 4, K, N)).to.throw(
      'pack: the matrix runs past the end of the heap',
    );
    expect(() => originalPacked!(heap, {} as PackedMatrix, 1, aOff, cOff)).to.throw(
      'argument 2 must be a packed matrix',
    );
  });

  it('the fused native loss equals the composed one (cpu) in value and gradient; a bad target is named', async function () {
    if (!tf.getKernel(SOFTMAX_XENT, 'wasm')) {
      if (blas!.smallGemmAvailable()) throw new Error(`${SOFTMAX_XENT} is not registered on wasm`);
      this.skip();
    }
    const [N, V] = [9, 45]; // V not a multiple of the 8 lanes
    const z = randomInput([N, V], 111, 6);
    const targets = [0, 44, 3, 7, 8, 20, 1, 2, 40];
    const weights = [1, 1, 0, 1, 1, 0, 1, 1, 1]; // two padding rows
    for (const eps of [0, 0.1]) {
      await expectSameOnBothBackends(
        `loss ε=${eps}`,
        () => {
          const t = tf.tensor1d(targets, 'int32');
          const w = tf.tensor1d(weights);
          // Extreme logits in one row: exp must not overflow (the row maximum is subtracted first).
          const zz = tf.add(
            z(),
            tf
              .oneHot(tf.tensor1d([3], 'int32'), V)
              .mul(80)
              .pad([
                [4, N - 5],
                [0, 0],
              ]),
          );
          const { value, grads } = tf.valueAndGrads((x: tf.Tensor) =>
            smoothedCrossEntropy(x as tf.Tensor2D, t, w, eps),
          )([zz]);
          return [value, ...grads];
        },
        1e-4,
      );
    }
    expect(() =>
      tf.tidy(() => smoothedCrossEntropy(tf.zeros([2, V]), tf.tensor1d([1, V], 'int32'), tf.ones([2]), 0)),
    ).to.throw(`the target of row 1 is ${V}, outside the vocabulary [0, ${V})`);
  });

  it("search's row statistics in the addon equal the JavaScript ones: banned tokens, ties, tails; bounds checked", function () {
    if (!blas!.smallGemmAvailable()) this.skip();
    const backend = tf.backend() as unknown as BackendWasm;
    const V = 8003; // not a multiple of the 8 lanes
    const rows: number[][] = [0, 1, 2, 3].map((r) =>
      Array.from(matrixValues(1, V, 40 + r, false), (v) => 6 * v),
    );
    rows[1][17] = 50; // a clear maximum, banned below: the runner-up must come out
    rows[2][5] = rows[2][900] = 50; // a tie: the first index, or the other one when the first is banned
    rows[3][V - 1] = 70; // the maximum in the tail after the last 8 lanes
    const cases: [string, number[]][] = [
      ['no bans', [-1, -1, -1, -1]],
      ['banned maxima', [3, 17, 5, V - 1]],
    ];
    const logits = tf.tensor2d(rows);
    try {
      for (const [what, ban] of cases) {
        const banned = tf.tensor1d(ban, 'int32');
        const js = rowStatsInJs(
          backend,
          logits as unknown as tf.TensorInfo,
          banned as unknown as tf.TensorInfo,
        );
        const native = rowStatsInNative(blas!)(
          backend,
          logits as unknown as tf.TensorInfo,
          banned as unknown as tf.TensorInfo,
        );
        banned.dispose();
        for (let r = 0; r < rows.length; r++) {
          expect(native[3 * r], `${what}, row ${r}: max`).to.equal(js[3 * r]);
          expect(native[3 * r + 1], `${what}, row ${r}: index`).to.equal(js[3 * r + 1]);
          expect(native[3 * r + 2], `${what}, row ${r}: log Σ exp`).to.be.closeTo(js[3 * r + 2], 1e-4);
        }
        if (what === 'banned maxima') {
          expect(
            [native[4], native[7], native[10]],
            'runner-up, other tied index, tail banned',
          ).to.deep.equal([
            rows[1].indexOf(Math.max(...rows[1].filter((_, j) => j !== 17))),
            900,
            rows[3].indexOf(Math.max(...rows[3].slice(0, V - 1))),
          ]);
        }
      }
      const heap = backend.typedArrayFromHeap(logits as unknown as tf.TensorInfo);
      expect(() =>
        blas!.rowStats(heap.buffer, 4, V, heap.buffer.byteLength - 8, -1, new Float32Array(12)),
      ).to.throw('rowStats: an array runs past the end of the heap');
      expect(() => blas!.rowStats(heap.buffer, 4, V, heap.byteOffset, -1, new Float32Array(3))).to.throw(
        'rowStats: the stats array must hold 3 floats per row',
      );
    } finally {
      logits.dispose();
    }
  });

  it("addInto (the workers' gradient-slot sum) adds like the JavaScript loop, on shared memory too", () => {
    const n = 1003;
    const shared = new Float32Array(new SharedArrayBuffer(4 * n));
    shared.set(matrixValues(1, n, 5, false));
    const x = matrixValues(1, n, 6, false);
    const want = Array.from(shared, (v, i) => Math.fround(v + x[i]));
    blas!.addInto(shared, x);
    expect(Array.from(shared)).to.deep.equal(want);
    expect(() => blas!.addInto(shared, new Float32Array(3))).to.throw('addInto: the arrays differ in length');
    expect(() => blas!.addInto(shared, new Float64Array(n) as unknown as Float32Array)).to.throw(
      'addInto expects two Float32Arrays',
    );
  });

  it('sgemm refuses matrices outside the heap and bad arguments, naming the problem', () => {
    const heap = new ArrayBuffer(64);
    expect(() => original!(heap, false, false, 2, 2, 2, 0, 16, 56, 1, 0, 0, 0)).to.throw(
      'sgemm: a matrix runs past the end of the heap',
    );
    expect(() => original!(heap, false, false, 2, 2, 2, 2, 16, 32, 1, 0, 0, 0)).to.throw(
      'multiples of 4 bytes',
    );
    // 2×2 identity times [[1, 2], [3, 4]]
    new Float32Array(heap).set([1, 0, 0, 1, 1, 2, 3, 4]);
    original!(heap, false, false, 2, 2, 2, 0, 16, 32, 1, 0, 0, 0);
    expect(Array.from(new Float32Array(heap, 32, 4))).to.deep.equal([1, 2, 3, 4]);
  });
});

/** The second log line on wasm: what multiplies matrices. */
const MATMUL_LOG =
  /^matmul: (OpenBLAS \S+ \S+, \d+ threads? \(native addon nmt-blas\), (packed AVX2 kernels for up to \d+ rows|XNNPACK for single rows \(.+\))|XNNPACK \(native OpenBLAS not used: .+\))$/;

describe('backend selection', () => {
  let dir: string;
  let script: string;
  const nodeNativeInstalled = (() => {
    const require = createRequire(join(repoRoot, 'package.json'));
    const found = (pkg: string) => {
      try {
        require.resolve(pkg);
        return true;
      } catch {
        return false;
      }
    };
    return found('@tensorflow/tfjs-node') || found('@tensorflow/tfjs-node-gpu');
  })();

  interface ChildReport {
    ok: boolean;
    choice?: { name: string; skipped: { name: string; reason: string }[] };
    message?: string;
    logs: string[];
    engineBackend?: string;
    addedUncaughtHandlers: number;
  }

  /** Run initBackend(arg) in a fresh Node process with the given NMT_BACKEND (undefined = unset). */
  function runChild(arg: string | undefined, nmtBackend: string | undefined): Promise<ChildReport> {
    const env = { ...process.env };
    delete env.NMT_BACKEND;
    if (nmtBackend !== undefined) env.NMT_BACKEND = nmtBackend;
    const args = ['--import', 'tsx', script, ...(arg === undefined ? [] : [arg])];
    return new Promise((resolve, reject) => {
      execFile(process.execPath, args, { cwd: repoRoot, env, timeout: 60000 }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`child failed: ${err.message}\n${stderr}`));
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as ChildReport);
        } catch {
          reject(new Error(`child printed no report:\n${stdout}\n${stderr}`));
        }
      });
    });
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nmt-backend-test-'));
    script = join(dir, 'init-backend.mts');
    const selectPath = join(repoRoot, 'src', 'backend', 'select.ts');
    writeFileSync(
      script,
      [
        `import { initBackend } from ${JSON.stringify(selectPath)};`,
        `const handlersBefore = process.listenerCount('uncaughtException');`,
        `const logs = [];`,
        `const report = { ok: false, logs };`,
        `try {`,
        `  report.choice = await initBackend(process.argv[2], (m) => logs.push(m));`,
        `  report.ok = true;`,
        `} catch (err) {`,
        `  report.message = err.message;`,
        `}`,
        `report.engineBackend = globalThis._tfengine?.backendName ?? undefined;`,
        `report.addedUncaughtHandlers = process.listenerCount('uncaughtException') - handlersBefore;`,
        `console.log(JSON.stringify(report));`,
      ].join('\n'),
    );
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('parseBackendName accepts the documented aliases', () => {
    const expected: Record<string, string> = {
      'tensorflow-gpu': 'tensorflow-gpu',
      gpu: 'tensorflow-gpu',
      'node-gpu': 'tensorflow-gpu',
      'tfjs-node-gpu': 'tensorflow-gpu',
      '@tensorflow/tfjs-node-gpu': 'tensorflow-gpu',
      tensorflow: 'tensorflow',
      node: 'tensorflow',
      'tfjs-node': 'tensorflow',
      '@tensorflow/tfjs-node': 'tensorflow',
      wasm: 'wasm',
      'backend-wasm': 'wasm',
      'tfjs-backend-wasm': 'wasm',
      '@tensorflow/tfjs-backend-wasm': 'wasm',
      cpu: 'cpu',
      'backend-cpu': 'cpu',
      '@tensorflow/tfjs-backend-cpu': 'cpu',
      '  CPU ': 'cpu',
      WASM: 'wasm',
      'TFJS-Node': 'tensorflow',
    };
    for (const [input, name] of Object.entries(expected)) {
      expect(parseBackendName(input), JSON.stringify(input)).to.equal(name);
    }
    for (const name of BACKENDS) expect(parseBackendName(name)).to.equal(name);
  });

  it('parseBackendName rejects unknown names with the list of valid ones', () => {
    for (const bad of ['webgl', 'cuda', '', 'tfjs', 'wasm2']) {
      expect(() => parseBackendName(bad), JSON.stringify(bad)).to.throw(
        `Unknown backend "${bad}": expected one of tensorflow-gpu, tensorflow, wasm, cpu`,
      );
    }
  });

  it('--backend (backendOption, shared by every command) parses aliases at the flag and names a bad one', () => {
    const parse = (args: string[], defaultName?: 'wasm') => {
      const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
      program.addOption(backendOption(undefined, defaultName)).parse(args, { from: 'user' });
      return program.opts<{ backend?: string }>().backend;
    };
    expect(parse(['--backend', 'tfjs-node'])).to.equal('tensorflow');
    expect(parse([])).to.equal(undefined);
    expect(parse([], 'wasm')).to.equal('wasm');
    expect(() => parse(['--backend', 'webgl'])).to.throw(
      'Unknown backend "webgl": expected one of tensorflow-gpu, tensorflow, wasm, cpu',
    );
  });

  it('tfjsVersionWarnings: none for the tested version, one per package otherwise, naming both versions', () => {
    const core = '@tensorflow/tfjs-core';
    const wasm = '@tensorflow/tfjs-backend-wasm';
    expect(tfjsVersionWarnings({ [core]: TESTED_TFJS_VERSION, [wasm]: TESTED_TFJS_VERSION })).to.deep.equal(
      [],
    );
    expect(
      tfjsVersionWarnings({ [core]: TESTED_TFJS_VERSION, [wasm]: undefined }),
      'wasm not loaded',
    ).to.deep.equal([]);
    const one = tfjsVersionWarnings({ [core]: '4.23.0', [wasm]: '4.22.0' }, '4.22.0');
    expect(one).to.have.length(1);
    expect(one[0]).to.contain('@tensorflow/tfjs-core 4.23.0 is installed').and.contain('tested with 4.22.0');
    expect(tfjsVersionWarnings({ [core]: '5.0.0', [wasm]: '4.21.1' }, '4.22.0')).to.have.length(2);
  });

  it('the tested tfjs version is the one installed, and the one package.json and its lockfile pin', () => {
    const require = createRequire(join(repoRoot, 'package.json'));
    const pkg = require('./package.json') as Record<string, Record<string, string> | undefined>;
    const lock = require('./package-lock.json') as { packages: Record<string, typeof pkg> };
    expect(tf.version_core).to.equal(TESTED_TFJS_VERSION);
    for (const [where, manifest] of [
      ['package.json', pkg],
      ['package-lock.json', lock.packages['']],
    ] as const) {
      const tfjs = ['dependencies', 'optionalDependencies'].flatMap((field) =>
        Object.entries(manifest[field] ?? {}).filter(([name]) => name.startsWith('@tensorflow/')),
      );
      expect(tfjs.length, where).to.be.at.least(6);
      for (const [name, range] of tfjs) expect(range, `${where}: ${name}`).to.equal(TESTED_TFJS_VERSION);
    }
  });

  it('in this process, the chosen backend is reported by currentBackend()', async () => {
    const choice = await initBackend('wasm');
    expect(currentBackend()).to.deep.equal(choice);
    expect(BACKENDS).to.include(choice.name);
  });

  it('honours NMT_BACKEND=cpu', async () => {
    const r = await runChild(undefined, 'cpu');
    expect(r.ok, r.message).to.equal(true);
    expect(r.choice).to.deep.equal({ name: 'cpu', skipped: [] });
    expect(r.engineBackend).to.equal('cpu');
    expect(r.logs).to.deep.equal(['backend: cpu (requested)']);
  });

  it('a requested backend (argument) wins over NMT_BACKEND, and aliases work there', async () => {
    const r = await runChild('backend-wasm', 'cpu');
    expect(r.ok, r.message).to.equal(true);
    expect(r.choice?.name).to.equal('wasm');
    expect(r.engineBackend).to.equal('wasm');
    expect(r.logs).to.have.length(2);
    expect(r.logs[0]).to.equal('backend: wasm (requested)');
    expect(r.logs[1]).to.match(MATMUL_LOG);
    expect(r.addedUncaughtHandlers, 'process handlers left by the wasm glue').to.equal(0);
  });

  it('a requested backend that cannot load is an error naming it (no silent fallback)', async function () {
    if (nodeNativeInstalled) this.skip();
    const r = await runChild('tensorflow', undefined);
    expect(r.ok).to.equal(false);
    expect(r.message).to.match(/^Backend "tensorflow" was requested but failed to load: /);
    expect(r.message).to.contain('@tensorflow/tfjs-node');
    expect(r.logs).to.deep.equal([]);
    const viaEnv = await runChild(undefined, 'node');
    expect(viaEnv.ok).to.equal(false);
    expect(viaEnv.message).to.match(/^Backend "tensorflow" was requested but failed to load: /);
    const gpu = await runChild('gpu', undefined);
    expect(gpu.ok).to.equal(false);
    expect(gpu.message).to.match(
      /^Backend "tensorflow-gpu" was requested but failed to load: .*tfjs-node-gpu/,
    );
  });

  it('an unknown NMT_BACKEND is an error', async () => {
    const r = await runChild(undefined, 'webgl');
    expect(r.ok).to.equal(false);
    expect(r.message).to.equal(
      'Unknown backend "webgl": expected one of tensorflow-gpu, tensorflow, wasm, cpu',
    );
  });

  it('automatic selection logs the backend it runs and why the faster ones were skipped', async function () {
    if (nodeNativeInstalled) this.skip();
    const r = await runChild(undefined, undefined);
    expect(r.ok, r.message).to.equal(true);
    expect(r.choice?.name).to.equal('wasm');
    expect(r.engineBackend).to.equal('wasm');
    expect(r.choice?.skipped.map((s) => s.name)).to.deep.equal(['tensorflow-gpu', 'tensorflow']);
    expect(r.choice?.skipped[0].reason).to.contain('@tensorflow/tfjs-node-gpu');
    expect(r.choice?.skipped[1].reason).to.contain('@tensorflow/tfjs-node');
    for (const s of r.choice?.skipped ?? []) {
      expect(s.reason, 'one short line').to.not.contain('\n');
      expect(s.reason.length).to.be.at.most(160);
    }
    expect(r.logs).to.have.length(2);
    expect(r.logs[1]).to.match(MATMUL_LOG);
    const log = r.logs[0];
    expect(log).to.match(/^backend: wasm \(skipped tensorflow-gpu: .+; tensorflow: .+\)$/);
    expect(log).to.contain(r.choice?.skipped[0].reason);
    expect(log).to.contain(r.choice?.skipped[1].reason);
    expect(r.addedUncaughtHandlers, 'process handlers left by the wasm glue').to.equal(0);
  });
});
