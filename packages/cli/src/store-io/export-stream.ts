import { IoError, type StorageAdapter, ValidationError } from "@statehouse/core";
import { fromSystemError } from "@statehouse/core/spi";
import { exportLines } from "./export-format.js";
import { retainedChanges } from "./change-log.js";
import { readAll } from "./records.js";

/** Where an export goes: a writable stream (stdout, a file's stream, a socket, a test's collector). */
export interface ExportSink {
  /** Returns false when the sink's buffer is full; the export then waits for `drain`. */
  write(chunk: string): boolean;
  once(event: "drain" | "error" | "close", listener: (...args: unknown[]) => void): unknown;
  removeListener(event: "drain" | "error" | "close", listener: (...args: unknown[]) => void): unknown;
  /** Node streams: true once destroyed (after an error, say), when no `drain`, `error` or `close` will come again. */
  readonly destroyed?: boolean;
  /** Node streams: the error the stream failed with, if any. */
  readonly errored?: unknown;
}

export interface ExportStoreOptions {
  /** The store's URL, written in the header line's `source`. Required. */
  source: string;
  /**
   * Most characters of export text gathered before one write to the sink (a line longer than this
   * is written alone). It bounds what the export holds beside the records it read: an export is
   * never one string, so a store whose export exceeds V8's longest string (~512 MiB) still exports.
   * Default 1 MiB (few writes, little memory); at least 1.
   */
  batchChars?: number;
}

export interface ExportSummary {
  readonly records: number;
  /** The change sets of the source's retained log the export carries. */
  readonly changes: number;
  /** The change sequence the export was read at. */
  readonly sequence: number;
}

/** 1 MiB of text per write: few system calls, bounded memory. */
export const DEFAULT_EXPORT_BATCH_CHARS = 1024 * 1024;

const isDestroyed = (sink: ExportSink): boolean => sink.destroyed === true;

/** Writes `chunk`, waiting while the sink's buffer is full, so an export into a slow reader stays bounded in memory. */
async function put(sink: ExportSink, chunk: string): Promise<void> {
  const gone = () => {
    const cause = sink.errored ?? undefined;
    if (cause !== undefined && cause !== null) return fromSystemError(cause, "writing the export");
    return new IoError("the export's output was closed before the export ended");
  };
  // A stream that failed before this write (e.g. its file could not be opened) emits nothing more.
  if (isDestroyed(sink)) throw gone();
  if (sink.write(chunk)) return;
  if (isDestroyed(sink)) throw gone();
  await new Promise<void>((resolve, reject) => {
    const done = (err?: unknown) => {
      sink.removeListener("drain", drained);
      sink.removeListener("error", failed);
      sink.removeListener("close", closed);
      if (err === undefined) resolve();
      else reject(err);
    };
    const drained = () => done();
    const failed = (err: unknown) => done(fromSystemError(err, "writing the export"));
    // A reader that went away (a closed pipe) would otherwise leave the export waiting forever.
    const closed = () => done(gone());
    sink.once("drain", drained);
    sink.once("error", failed);
    sink.once("close", closed);
  });
}

/**
 * Writes the export of `adapter` (see export-format.ts) to `sink`, in batches of at most
 * `batchChars` characters (or one line), each written as soon as it is full. Rejects with the
 * sink's error if writing fails; the caller decides what a partial output means (`-o` writes a
 * temporary file and renames it only once complete).
 */
export async function exportStore(adapter: StorageAdapter, sink: ExportSink, options: ExportStoreOptions): Promise<ExportSummary> {
  const batchChars = options.batchChars ?? DEFAULT_EXPORT_BATCH_CHARS;
  if (!Number.isSafeInteger(batchChars) || batchChars < 1) {
    throw new ValidationError(`batchChars must be a positive integer, got ${batchChars}`, { details: { issues: ["batchChars"] } });
  }
  const { records, sequence } = await readAll(adapter);
  const header = { source: options.source, adapter: adapter.kind, sequence, exportedAt: new Date().toISOString() };
  let batch: string[] = [];
  let size = 0;
  let changes = 0;
  const counted = async function* () {
    for await (const page of retainedChanges(adapter, sequence)) {
      changes += page.length;
      yield page;
    }
  };
  for await (const line of exportLines(header, records, counted())) {
    if (size > 0 && size + line.length > batchChars) {
      await put(sink, batch.join(""));
      batch = [];
      size = 0;
    }
    batch.push(line);
    size += line.length;
  }
  if (size > 0) await put(sink, batch.join(""));
  return { records: records.length, changes, sequence };
}
