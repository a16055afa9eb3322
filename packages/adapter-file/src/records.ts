import { type ChangeSet, type CommitWrite, type IndexKeys, type JsonValue, deepFreeze, isValidCollection } from "@statehouse/core";
import { FrameError, decodeFramed, encodeFramed, parseLine } from "./framed.js";

/** A write as read back from a commit file. */
export interface LoggedWrite {
  readonly op: "put" | "delete";
  readonly collection: string;
  readonly id: string;
  readonly rev: number;
  readonly index: IndexKeys;
  /** Deep-frozen; absent for deletes. */
  readonly value?: JsonValue;
}

export interface Commit {
  readonly seq: number;
  readonly at: string;
  readonly writes: readonly LoggedWrite[];
  /** Set on the placeholder that repair puts where a corrupt commit was: its writes are lost. */
  readonly lost?: string;
}

export interface SegmentRecord {
  readonly id: string;
  readonly rev: number;
  readonly index: IndexKeys;
  readonly value: JsonValue;
}

/** A record as read from a segment: its value still JSON text, parsed only when first read. */
export interface SegmentLine {
  readonly id: string;
  readonly rev: number;
  readonly index: IndexKeys;
  readonly valueText: string;
}

// Lines are written as {"id":…,"rev":…,"index":{…},"value":…}. Inside the index's strings every
// quote is escaped, so the first `},"value":` is where the index ends and the value begins.
const VALUE_MARK = '},"value":';

const FORMAT = 1;

function isIndex(v: unknown): v is IndexKeys {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  for (const k of Object.values(v)) if (typeof k !== "string") return false;
  return true;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw new FrameError(`${what} is not a string`);
  return v;
}

// A collection name becomes a directory under data/ when the commit is folded: a name read from
// disk gets the same check as one from a caller, so a crafted (even CRC-valid) commit cannot make
// a fold write outside the store.
function collectionName(v: unknown): string {
  const name = str(v, "a collection");
  if (!isValidCollection(name)) throw new FrameError(`invalid collection name ${JSON.stringify(name.slice(0, 80))}`);
  return name;
}

function rev(v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new FrameError("a revision is not a positive integer");
  return v;
}

function index(v: unknown): IndexKeys {
  if (v === undefined) return {};
  if (!isIndex(v)) throw new FrameError("an index is not an object of strings");
  return v;
}

// Values are spliced in as the validated JSON text core hands over: never serialised twice.
export function encodeCommit(seq: number, at: string, writes: readonly CommitWrite[]): Buffer {
  const lines = writes.map((w) =>
    w.type === "put"
      ? `{"op":"put","collection":${JSON.stringify(w.collection)},"id":${JSON.stringify(w.id)},"rev":${w.revision},"index":${JSON.stringify(w.index)},"value":${w.json}}`
      : `{"op":"delete","collection":${JSON.stringify(w.collection)},"id":${JSON.stringify(w.id)},"rev":${w.revision}}`,
  );
  return encodeFramed({ statehouse: "commit", format: FORMAT, seq, at, writes: lines.length }, lines);
}

export function encodeLostCommit(seq: number, quarantined: string): Buffer {
  return encodeFramed({ statehouse: "commit", format: FORMAT, seq, at: new Date().toISOString(), writes: 0, lost: quarantined }, []);
}

export function decodeCommit(buf: Buffer, seq: number): Commit {
  const { header, lines } = decodeFramed(buf, "commit");
  if (header.seq !== seq) throw new FrameError(`the header names commit ${String(header.seq)}, not ${seq}`);
  if (header.writes !== lines.length) throw new FrameError("the number of writes does not match the header");
  const writes = lines.map((line): LoggedWrite => {
    const o = parseLine(line);
    const base = { collection: collectionName(o.collection), id: str(o.id, "an id"), rev: rev(o.rev) };
    if (o.op === "delete") return { op: "delete", ...base, index: {} };
    if (o.op !== "put" || !("value" in o)) throw new FrameError("a write is neither a put nor a delete");
    return { op: "put", ...base, index: index(o.index), value: deepFreeze(o.value as JsonValue) };
  });
  const lost = typeof header.lost === "string" ? header.lost : undefined;
  return { seq, at: str(header.at, "the commit time"), writes, ...(lost !== undefined && { lost }) };
}

export function encodeSegment(collection: string, bucket: number, seq: number, records: readonly (SegmentRecord | SegmentLine)[]): Buffer {
  const lines = records.map(
    (r) =>
      `{"id":${JSON.stringify(r.id)},"rev":${r.rev},"index":${JSON.stringify(r.index)},"value":${"valueText" in r ? r.valueText : JSON.stringify(r.value)}}`,
  );
  return encodeFramed({ statehouse: "segment", format: FORMAT, collection, bucket, seq, records: lines.length }, lines);
}

export function decodeSegment(buf: Buffer, collection: string, bucket: number, seq: number): SegmentLine[] {
  const { header, lines } = decodeFramed(buf, "segment");
  if (header.collection !== collection || header.bucket !== bucket || header.seq !== seq) {
    throw new FrameError("the header does not match the file name");
  }
  if (header.records !== lines.length) throw new FrameError("the number of records does not match the header");
  return lines.map((line) => {
    const cut = line.indexOf(VALUE_MARK);
    if (cut < 0 || !line.endsWith("}")) throw new FrameError("a record has no value");
    const o = parseLine(`${line.slice(0, cut + 1)}}`);
    return { id: str(o.id, "an id"), rev: rev(o.rev), index: index(o.index), valueText: line.slice(cut + VALUE_MARK.length, -1) };
  });
}

export function encodeHistory(sets: readonly ChangeSet[]): Buffer {
  const lines = sets.map((s) => JSON.stringify({ seq: s.sequence, at: s.at, changes: s.changes }));
  const from = sets[0]?.sequence ?? 0;
  const to = sets[sets.length - 1]?.sequence ?? 0;
  return encodeFramed({ statehouse: "history", format: FORMAT, from, to, sets: lines.length }, lines);
}

export function decodeHistory(buf: Buffer): ChangeSet[] {
  const { header, lines } = decodeFramed(buf, "history");
  if (header.sets !== lines.length) throw new FrameError("the number of change sets does not match the header");
  return lines.map((line) => {
    const o = parseLine(line);
    if (typeof o.seq !== "number" || !Array.isArray(o.changes)) throw new FrameError("a change set is malformed");
    return deepFreeze({ sequence: o.seq, at: str(o.at, "a change time"), changes: o.changes }) as unknown as ChangeSet;
  });
}

export function changeSetOf(commit: Commit): ChangeSet {
  return {
    sequence: commit.seq,
    at: commit.at,
    changes: commit.writes.map((w) => ({ type: w.op, collection: w.collection, id: w.id, revision: w.rev })),
  };
}

export function encodeStoreFile(): Buffer {
  return encodeFramed({ statehouse: "store", format: FORMAT, adapter: "@statehouse/adapter-file" }, []);
}

export function decodeStoreFile(buf: Buffer): void {
  const { header } = decodeFramed(buf, "store");
  if (header.format !== FORMAT) throw new FrameError(`unsupported store format ${String(header.format)}`);
}
