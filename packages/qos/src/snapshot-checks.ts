import { InvalidSnapshotError, UnsupportedSnapshotVersionError } from "./errors.js";

/** Check `kind` and `version` of a snapshot and return it as a record. @internal */
export function expectVersion(snapshot: unknown, kind: string, version: number): Record<string, unknown> {
  const root = expectObject(snapshot, "snapshot");
  if (root.version !== version) throw new UnsupportedSnapshotVersionError(kind, root.version, [version]);
  if (root.kind !== kind) {
    throw new InvalidSnapshotError(`expected a ${kind} snapshot, got kind ${JSON.stringify(root.kind)}`);
  }
  return root;
}

/** @internal */
export function expectArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new InvalidSnapshotError(`${where} must be an array`);
  return value;
}

/** @internal */
export function expectInt(value: unknown, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidSnapshotError(`${where} must be an integer in ${min}..${max}`);
  }
  return value;
}

/** @internal */
export function expectObject(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidSnapshotError(`${where} must be an object`);
  }
  return value as Record<string, unknown>;
}
