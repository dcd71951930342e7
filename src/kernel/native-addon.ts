// Loads one of the package's optional N-API addons (native/*.c, built by `npm ci` through
// binding.gyp). Each has a JavaScript fallback, so a missing one is a reason to report, not an error.
import { createRequire } from 'node:module';

export type AddonLoad<T> = { addon: T; missing?: undefined } | { addon?: undefined; missing: string };

/** `build/Release/<name>.node`, or why it could not be loaded (the first line of the error). */
export function loadAddon<T>(name: string): AddonLoad<T> {
  try {
    // From src/kernel and from dist/kernel alike, the package root is two levels up.
    return { addon: createRequire(import.meta.url)(`../../build/Release/${name}.node`) as T };
  } catch (e) {
    return { missing: e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e) };
  }
}
