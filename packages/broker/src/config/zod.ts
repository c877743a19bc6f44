import { createRequire } from "node:module";
import type { z } from "zod";

/** zod's namespace (`z`): the type of what {@link zod} returns. */
export type Zod = typeof z;

let loaded: Zod | undefined;

/**
 * zod, loaded on the first schema built. The configuration schemas are built
 * when a configuration is validated, not when the package is imported: a broker
 * resolved from trusted embedded defaults never loads zod (about 13 MB of RSS
 * once loaded). `require` (zod ships CommonJS) keeps validation synchronous.
 */
export function zod(): Zod {
  loaded ??= (createRequire(import.meta.url)("zod") as { z: Zod }).z;
  return loaded;
}

/** `build` run once, on the first call: a schema built lazily with {@link zod}. */
export function lazySchema<T>(build: (z: Zod) => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build(zod());
    return value;
  };
}
