/**
 * Caches keyed by a tensor's data (the transposes of matmul-transpose.ts, the packed matrices of
 * matmul-native.ts) must forget an entry when the backend frees that data. TensorFlow.js has no public
 * hook for that, so this file overrides the wasm backend's `disposeData` and reads its private
 * `dataIdMap` (tfjs-backend-wasm 4.22): the only place that does either.
 *
 * `disposeData` returns false both when the data is still referenced elsewhere (kept) and when it was
 * already gone; `dataIdMap` tells the two apart.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The backend's own disposeData (the one before the hook). */
export type DisposeData = (dataId: object, force?: boolean) => boolean;

/** Drops what a cache keeps for `dataId`, freeing the cache's own tensors with `dispose`. */
export type OnFreed = (dataId: object, dispose: DisposeData) => void;

const listenersOf = new WeakMap<BackendWasm, Set<OnFreed>>();

/** From now on, `backend` calls `onFreed` for every data it frees; hooks the backend on the first call. */
export function callOnFree(backend: BackendWasm, onFreed: OnFreed): void {
  let listeners = listenersOf.get(backend);
  if (!listeners) {
    const all = new Set<OnFreed>();
    listenersOf.set(backend, (listeners = all));
    const dispose = backend.disposeData.bind(backend);
    backend.disposeData = (dataId: object, force?: boolean): boolean => {
      const freed = dispose(dataId, force);
      if (freed || !backend.dataIdMap.has(dataId)) for (const drop of all) drop(dataId, dispose);
      return freed;
    };
  }
  listeners.add(onFreed);
}
