import { createHash } from "node:crypto";
import { ValidationError } from "../errors.js";
import type { JsonValue } from "../json/types.js";
import { markOwned, rememberChecked } from "../spi/owned-values.js";
import type { StoredRecord, TxContext } from "../spi/types.js";
import { ID_MAX_LENGTH } from "../validation.js";
import { COLLECTION } from "./collections.js";

/**
 * History of state documents, kept by core on top of the SPI. Two collections:
 *
 * - `history`: one record per kept earlier revision, its value exactly as it was (no wrapper, so a
 *   document at the size or depth limit is kept too), id `<base>@<revision, 16 digits>`;
 * - `history-meta`: one small record per document, id `<base>`, naming the current revision, when it
 *   was written and its size, and the kept earlier revisions newest first. Listing a history reads
 *   this one record; trimming deletes exactly the entries it names, inside the transaction (the SPI's
 *   transactions can get, put and delete by id, not list).
 *
 * `<base>` is `g.<name>` for a named document and `s.<session id>` for a session's, or, for a name
 * too long to leave room for the revision, `g+`/`s+` and a SHA-256 of it. Both are written in the
 * transaction of the document's write, so history has one entry per revision and no gap whatever
 * the number of processes.
 */
export const HISTORY = "history";
export const HISTORY_META = "history-meta";

/** Earlier revisions kept per document unless `StoreOptions.historyLimit` says otherwise. */
export const DEFAULT_HISTORY_LIMIT = 20;
/** The most earlier revisions a store may keep per document (and the most entries one `history()` call lists). */
export const MAX_HISTORY_LIMIT = 1000;

/** One revision of a document, as `history()` lists it. */
export interface HistoryEntry {
  readonly revision: number;
  /** When this revision was committed (ISO 8601, the writer's clock); null when not known (written while history was off). */
  readonly at: string | null;
  /** Length of the value's JSON text, in characters. */
  readonly size: number;
  /** The value, with `history({ values: true })` only. */
  readonly value?: JsonValue;
}

/** Options of `history()`. */
export interface HistoryOptions {
  /** At most this many entries, newest first. Default 20, at most 1,000. */
  limit?: number;
  /** Only revisions lower than this one (for paging back). Default: from the current revision. */
  before?: number;
  /** Include each revision's value. Default false: revision, time and size only (one small read). */
  values?: boolean;
}

/** Options of `read()`. */
export interface ReadOptions {
  /** The current revision, or an earlier one still kept in history. Default: the current one. */
  revision?: number;
}

interface MetaEntry {
  revision: number;
  at: string | null;
  size: number;
}

interface Meta {
  collection: string;
  document: string;
  revision: number;
  at: string | null;
  size: number;
  entries: MetaEntry[];
}

const REVISION_DIGITS = 16; // Number.MAX_SAFE_INTEGER has 16 digits: ids sort in revision order.

/** Validates `StoreOptions.historyLimit`. */
export function checkHistoryLimit(limit: unknown): number {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > MAX_HISTORY_LIMIT) {
    throw new ValidationError(`historyLimit must be an integer from 0 to ${MAX_HISTORY_LIMIT}, got ${String(limit)}`, {
      details: { issues: ["historyLimit"] },
    });
  }
  return limit;
}

/** Validates a revision number a caller asked for. */
export function checkRevision(revision: unknown, what = "revision"): number {
  if (typeof revision !== "number" || !Number.isSafeInteger(revision) || revision < 1) {
    throw new ValidationError(`${what} must be a positive integer, got ${String(revision)}`, { details: { issues: [what] } });
  }
  return revision;
}

/** The id of a document's `history-meta` record, and the stem of its `history` entries. */
export function historyBase(collection: string, name: string): string {
  const tag = collection === COLLECTION.sessionState ? "s" : "g";
  // Room for "@" and the revision digits after the base.
  if (name.length + 2 + 1 + REVISION_DIGITS <= ID_MAX_LENGTH) return `${tag}.${name}`;
  return `${tag}+${createHash("sha256").update(name).digest("hex")}`;
}

export function historyEntryId(base: string, revision: number): string {
  return `${base}@${String(revision).padStart(REVISION_DIGITS, "0")}`;
}

function wellFormed(x: Partial<MetaEntry>): boolean {
  return (
    (typeof x.at === "string" || x.at === null) && typeof x.size === "number" && Number.isFinite(x.size) && Object.keys(x).length === 3
  );
}

/** The meta record's value, tolerating a malformed one (from a hand-edited import): what cannot be read is dropped. */
export function readMeta(record: StoredRecord | undefined): Meta | undefined {
  const v = record?.value as Partial<Meta> | undefined;
  if (v === undefined || v === null || typeof v !== "object" || typeof v.revision !== "number") return undefined;
  const entries: MetaEntry[] = [];
  if (Array.isArray(v.entries)) {
    for (const e of v.entries as unknown[]) {
      const x = e as Partial<MetaEntry> | null;
      if (x === null || typeof x !== "object" || !Number.isSafeInteger(x.revision)) continue;
      // A stored entry of exactly this shape is frozen and shared as it is: a write then builds
      // and freezes only the new entry, not the twenty it keeps.
      if (Object.isFrozen(x) && wellFormed(x)) {
        entries.push(x as MetaEntry);
        continue;
      }
      entries.push(
        Object.freeze({
          revision: x.revision as number,
          at: typeof x.at === "string" ? x.at : null,
          size: typeof x.size === "number" ? x.size : 0,
        }),
      );
    }
  }
  return {
    collection: String(v.collection),
    document: String(v.document),
    revision: v.revision,
    at: typeof v.at === "string" ? v.at : null,
    size: typeof v.size === "number" ? v.size : 0,
    entries,
  };
}

/** Characters of JSON each transaction wrote for history: a batch's bound counts the user's writes, not these. */
const historyChars = new WeakMap<TxContext, number>();

export function historySerialized(tx: TxContext): number {
  return historyChars.get(tx) ?? 0;
}

/** Characters of JSON the transaction has validated so far (the TxBuffer's count), or undefined for another TxContext. */
export function serializedSoFar(tx: TxContext): number | undefined {
  return (tx as { serializedLength?: number }).serializedLength;
}

function putCounted(tx: TxContext, collection: string, id: string, value: JsonValue): number {
  const before = serializedSoFar(tx);
  tx.put(collection, id, value);
  const after = serializedSoFar(tx);
  const size = before === undefined || after === undefined ? JSON.stringify(value).length : after - before;
  historyChars.set(tx, historySerialized(tx) + size);
  return size;
}

/** What a document write tells history, inside its transaction. */
export interface DocumentWrite {
  readonly collection: string;
  readonly name: string;
  /** The record before the write; undefined when the document did not exist. */
  readonly previous: StoredRecord | undefined;
  readonly revision: number;
  /** Length of the new value's JSON text. */
  readonly size: number;
  readonly at: string;
  /** Earlier revisions to keep (0: none, and any kept ones are deleted). */
  readonly limit: number;
}

/**
 * Records a document write in history, in the write's transaction: the previous revision's value
 * becomes an entry, entries beyond `limit` are deleted, the meta record names the new revision.
 */
export function recordHistory(tx: TxContext, w: DocumentWrite): void {
  const base = historyBase(w.collection, w.name);
  const meta = readMeta(tx.get(HISTORY_META, base));
  if (w.limit === 0) {
    if (meta !== undefined) deleteEntries(tx, base, meta);
    return;
  }
  // A document written twice in one transaction commits one revision: its second write records no entry.
  const prior = w.previous !== undefined && w.previous.revision < w.revision ? w.previous : undefined;
  // Entries at or past this bound belong to an earlier life of the document (deleted by something
  // that did not clear its history): they must not pass for this one's.
  const bound = prior !== undefined ? prior.revision : w.previous !== undefined ? w.revision : 0;
  const room = prior !== undefined ? w.limit - 1 : w.limit;
  const kept: MetaEntry[] = [];
  for (const e of meta?.entries ?? []) {
    if (e.revision < bound && kept.length < room) kept.push(e);
    else tx.delete(HISTORY, historyEntryId(base, e.revision));
  }
  if (prior !== undefined) {
    // The stored value is frozen and nobody changes it: it may be kept as it is rather than parsed again.
    const size = putCounted(tx, HISTORY, historyEntryId(base, prior.revision), markOwned(prior.value));
    const known = meta !== undefined && meta.revision === prior.revision;
    kept.unshift(Object.freeze({ revision: prior.revision, at: known ? meta.at : null, size }));
  }
  const next: Meta = { collection: w.collection, document: w.name, revision: w.revision, at: w.at, size: w.size, entries: kept };
  putCounted(tx, HISTORY_META, base, checkedMeta(next));
}

/**
 * JSON text of meta entries: an entry is frozen and shared from one write's meta record to the
 * next, up to `limit` writes, so its text is made once rather than at each of those writes.
 */
const entryTexts = new WeakMap<MetaEntry, string>();

function entryText(e: MetaEntry): string {
  let text = entryTexts.get(e);
  if (text === undefined) {
    text = JSON.stringify(e);
    entryTexts.set(e, text);
  }
  return text;
}

/**
 * The meta record, deep-frozen, with its JSON text and depth known to the transaction, so that it
 * neither walks nor serialises the record again: the text is composed of the kept entries' texts,
 * exactly as JSON.stringify writes the record (same members, same order). Built here of strings,
 * finite numbers and null (readMeta dropped anything else), and its depth is 3 (the record, its
 * entries, an entry), 2 without entries.
 */
function checkedMeta(meta: Meta): JsonValue {
  const { collection, document, revision, at, size, entries } = meta;
  let list = "";
  for (let i = 0; i < entries.length; i++) list += i === 0 ? entryText(entries[i]!) : `,${entryText(entries[i]!)}`;
  const json =
    `{"collection":${JSON.stringify(collection)},"document":${JSON.stringify(document)},"revision":${JSON.stringify(revision)},` +
    `"at":${JSON.stringify(at)},"size":${JSON.stringify(size)},"entries":[${list}]}`;
  Object.freeze(entries);
  const value = Object.freeze(meta) as unknown as JsonValue;
  rememberChecked(value, { json, depth: entries.length > 0 ? 3 : 2 });
  return value;
}

function deleteEntries(tx: TxContext, base: string, meta: Meta): void {
  for (const e of meta.entries) tx.delete(HISTORY, historyEntryId(base, e.revision));
  tx.delete(HISTORY_META, base);
}

/** Deletes a document's history (with the document: `remove`, a session's deletion). */
export function deleteHistory(tx: TxContext, collection: string, name: string): void {
  const base = historyBase(collection, name);
  const meta = readMeta(tx.get(HISTORY_META, base));
  if (meta !== undefined) deleteEntries(tx, base, meta);
}
