import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh folder under the system's temp dir, and the call that removes it with everything in it. */
export interface TempDir {
  readonly path: string;
  remove(): void;
}

/** Create a temp folder named from `prefix`; pass `remove` to the test's `afterAll`. */
export function makeTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
