import { randomUUID } from "node:crypto";
import type { Database } from "@amqtt/contrib-auth-db";
import type { ShadowVersion } from "./messages.js";
import type { StateDocument } from "./states.js";

/** Where shadow versions are kept. */
export interface ShadowRepository {
  /** The newest version of a shadow, or `undefined`. */
  latest(device: string, name: string): Promise<ShadowVersion | undefined>;
  /** Write a new version (`version` is the previous one plus 1). */
  insert(device: string, name: string, shadow: ShadowVersion): Promise<void>;
  close(): Promise<void>;
}

/** A shadow store cannot take a new shadow: it holds `maxShadows` already. */
export class ShadowLimitError extends Error {
  override name = "ShadowLimitError";
}

/** Shadows in memory (no `connection`): the newest version of each, at most `maxShadows` of them. */
export class MemoryShadowRepository implements ShadowRepository {
  private readonly shadows = new Map<string, ShadowVersion>();

  constructor(readonly maxShadows = 10_000) {}

  /** How many shadows are kept. */
  get size(): number {
    return this.shadows.size;
  }

  async latest(device: string, name: string): Promise<ShadowVersion | undefined> {
    return this.shadows.get(`${device}/${name}`);
  }

  async insert(device: string, name: string, shadow: ShadowVersion): Promise<void> {
    const key = `${device}/${name}`;
    if (!this.shadows.has(key) && this.shadows.size >= this.maxShadows)
      throw new ShadowLimitError(`${this.maxShadows} shadows are kept already`);
    this.shadows.set(key, shadow);
  }

  async close(): Promise<void> {}
}

/** aMQTT's `shadows_shadow` table: one row per version, so the history is kept. */
export function shadowTableStatement(): string {
  return (
    "CREATE TABLE IF NOT EXISTS shadows_shadow (id VARCHAR(36) NOT NULL PRIMARY KEY, " +
    "device_id VARCHAR(128) NOT NULL, name VARCHAR(128) NOT NULL, version INTEGER NOT NULL, " +
    "state JSON NOT NULL, created_at INTEGER NOT NULL, " +
    "CONSTRAINT check_quantity_positive CHECK (version > 0), " +
    "CONSTRAINT uq_device_id_name_version UNIQUE (device_id, name, version))"
  );
}

/** Shadows in a SQL database (the `connection` option), in aMQTT's table. */
export class SqlShadowRepository implements ShadowRepository {
  constructor(private readonly db: Database) {}

  /** Create the table when missing (aMQTT always syncs the shadow schema at start). */
  async sync(): Promise<void> {
    await this.db.run(shadowTableStatement());
  }

  async latest(device: string, name: string): Promise<ShadowVersion | undefined> {
    const rows = await this.db.query(
      "SELECT version, state, created_at FROM shadows_shadow WHERE device_id = ? AND name = ? ORDER BY version DESC LIMIT 1",
      [device, name],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const stored = (typeof row.state === "string" ? JSON.parse(row.state) : row.state) as StateDocument;
    // aMQTT re-creates the metadata with the current time on every read (QUIRK: the per-key
    // timestamps are lost); the stored metadata is used here.
    return {
      document: { state: stored.state, metadata: stored.metadata },
      version: Number(row.version),
      createdAt: Number(row.created_at),
    };
  }

  async insert(device: string, name: string, shadow: ShadowVersion): Promise<void> {
    const document = { ...shadow.document, version: shadow.version, timestamp: shadow.createdAt };
    await this.db.run(
      "INSERT INTO shadows_shadow (id, device_id, name, version, state, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      [randomUUID(), device, name, shadow.version, JSON.stringify(document), shadow.createdAt],
    );
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
