/** The signature every kernel override in this folder implements (TensorFlow.js's KernelConfig). */
import type * as tf from '@tensorflow/tfjs-core';

export type KernelFunc = tf.KernelConfig['kernelFunc'];
export type KernelArgs = Parameters<KernelFunc>[0];
