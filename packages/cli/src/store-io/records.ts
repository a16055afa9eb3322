import { createHash } from "node:crypto";
import { ConflictError, type JsonValue, type StorageAdapter } from "@statehouse/core";
import { COLLECTIONS, type CollectionName } from "./index-keys.js";

/** One record as exported: enough to recreate it exactly, revision included. */
export interface ExportRecord {
  readonly collection: CollectionName;
  readonly id: string;
  readonly revision: number;
  readonly value: JsonValue;
}

export interface Digest {
  readonly count: number;
  /** `sha256:` + hex of every record's collection, id, revision and canonical JSON, in listing order. */
  readonly checksum: string;
}

export interface StoreDigest extends Digest {
  readonly collections: Readonly<Record<CollectionName, Digest>>;
}

/** JSON with object keys sorted, so equal values hash equally whatever order an engine keeps keys in. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(",")}}`;
}

/** Counts and checksums, per collection and overall. Records must be in (collection, id) order. */
export function digest(records: readonly ExportRecord[]): StoreDigest {
  const all = createHash("sha256");
  const per = new Map<CollectionName, { hash: ReturnType<typeof createHash>; count: number }>();
  for (const c of COLLECTIONS) per.set(c, { hash: createHash("sha256"), count: 0 });
  for (const r of records) {
    const line = `${r.collection}\u0000${r.id}\u0000${r.revision}\u0000${canonicalJson(r.value)}\n`;
    all.update(line);
    const p = per.get(r.collection)!;
    p.hash.update(line);
    p.count++;
  }
  const collections = Object.fromEntries(
    [...per].map(([c, p]) => [c, { count: p.count, checksum: `sha256:${p.hash.digest("hex")}` }]),
  ) as Record<CollectionName, Digest>;
  return { count: records.length, checksum: `sha256:${all.digest("hex")}`, collections };
}

async function listCollection(adapter: StorageAdapter, collection: CollectionName, into: ExportRecord[]): Promise<void> {
  let after: string | undefined;
  do {
    const page = await adapter.list(collection, { limit: 10_000, ...(after !== undefined && { after }) });
    for (const r of page.records) into.push({ collection, id: r.id, revision: r.revision, value: r.value });
    after = page.cursor;
  } while (after !== undefined);
}

/**
 * Every record of every domain collection, as of one change sequence number. The SPI has no
 * read snapshot across pages, so the listing is repeated until the sequence did not move
 * during it (another process writing meanwhile); E_CONFLICT if it never settles.
 */
export async function readAll(adapter: StorageAdapter, attempts = 5): Promise<{ records: ExportRecord[]; sequence: number }> {
  for (let attempt = 1; ; attempt++) {
    const before = await adapter.sequence();
    const records: ExportRecord[] = [];
    for (const c of COLLECTIONS) await listCollection(adapter, c, records);
    const after = await adapter.sequence();
    if (before === after) return { records, sequence: after };
    if (attempt >= attempts) {
      throw new ConflictError(`the store kept changing while it was read (${attempts} attempts); try again when writers are quiet`, {
        details: { currentRevision: 0, sequenceBefore: before, sequenceAfter: after },
      });
    }
  }
}
