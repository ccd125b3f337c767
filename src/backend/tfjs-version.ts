/**
 * The TensorFlow.js version this project's wasm kernels were written and tested against. They use
 * internals of tfjs-core and tfjs-backend-wasm that are not part of the public API (install.ts lists
 * them), so package.json pins that version exactly; this check tells whoever installs another one.
 */

/** The version of @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm that package.json pins. */
export const TESTED_TFJS_VERSION = '4.22.0';

/**
 * One warning per package whose installed version is not the tested one; none when all match. `found`
 * maps package names to their installed versions (undefined: not loaded, not checked).
 */
export function tfjsVersionWarnings(
  found: Record<string, string | undefined>,
  tested: string = TESTED_TFJS_VERSION,
): string[] {
  return Object.entries(found)
    .filter(([, version]) => version !== undefined && version !== tested)
    .map(
      ([pkg, version]) =>
        `${pkg} ${version} is installed, but this project's kernels were tested with ${tested}: they rely ` +
        `on internals of that version (src/backend/install.ts), so results and speed may differ. Install ` +
        `the tested version (npm ci) or run test/backend.test.ts with this one.`,
    );
}
