import { type ChangeSet, type JsonValue, ValidationError, validateId, validateValue } from "@statehouse/core";
import { parseJsonInput } from "../io/json-input.js";
import { ChangeDigest, LastChanges, changeLine, parseChangeSet } from "./change-log.js";
import { isCollection } from "./index-keys.js";
import { type ExportRecord, type StoreDigest, digest } from "./records.js";

/**
 * The export format: JSON Lines.
 *   line 1:  {"statehouse":"export","format":2,"source":URL,"adapter":KIND,"sequence":N,"exportedAt":ISO}
 *   then:    {"collection":C,"id":ID,"revision":R,"value":V}   one per record, in (collection, id) order
 *   then:    {"sequence":S,"at":ISO,"changes":[{"type","collection","id","revision"},…]}
 *            one per change set the source retains, consecutive, the last one at N (format 2)
 *   last:    {"statehouse":"end","records":N,"checksum":"sha256:…","changes":M,"changesChecksum":"sha256:…"}
 * The trailer makes a truncated or edited file detectable before anything is imported. Format 1
 * (no change set lines, no `changes` in the trailer) is still read: its copy starts a log of its own.
 */
export const FORMAT = 2;

/** The formats `parseExport` reads. */
export const READABLE_FORMATS: readonly number[] = [1, 2];

export interface ExportHeader {
  statehouse: "export";
  format: number;
  source: string;
  adapter: string;
  sequence: number;
  exportedAt: string;
}

/**
 * The export's lines, each ending in a newline, one at a time: never the whole file as one string.
 * `changeSets` yields the retained change log a page at a time.
 */
export async function* exportLines(
  header: Omit<ExportHeader, "statehouse" | "format">,
  records: readonly ExportRecord[],
  changeSets: AsyncIterable<readonly ChangeSet[]>,
): AsyncGenerator<string> {
  yield `${JSON.stringify({ statehouse: "export", format: FORMAT, ...header })}\n`;
  for (const r of records) yield `${JSON.stringify({ collection: r.collection, id: r.id, revision: r.revision, value: r.value })}\n`;
  const changes = new ChangeDigest();
  for await (const page of changeSets) {
    for (const set of page) {
      changes.add(set);
      yield `${changeLine(set)}\n`;
    }
  }
  const d = digest(records);
  yield `${JSON.stringify({ statehouse: "end", records: d.count, checksum: d.checksum, changes: changes.count, changesChecksum: changes.checksum })}\n`;
}

/**
 * The highest revision an import accepts: any safe integer, since a record is written at its
 * revision in one put (`TxContext.restore`, see restore.ts).
 */
export const MAX_IMPORT_REVISION = Number.MAX_SAFE_INTEGER;

function bad(line: number, problem: string): ValidationError {
  return new ValidationError(`export line ${line}: ${problem}`, { details: { issues: [`line ${line}: ${problem}`], line } });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Options of `parseExport`. */
export interface ParseExportOptions {
  /**
   * Change sets kept from the export's change log, the newest ones: the others are checked and
   * counted, then dropped (no adapter could keep them). Default 1,000,000.
   */
  keepChanges?: number;
}

/** What `parseExport` found. */
export interface ParsedExport {
  header: ExportHeader;
  records: ExportRecord[];
  digest: StoreDigest;
  /** The newest `keepChanges` change sets of the export's log, oldest first (none in format 1). */
  changes: ChangeSet[];
  /** How many change set lines the export held. */
  changeCount: number;
}

/**
 * Parses and checks a whole export (every line, the trailer's counts and checksums) before
 * anything is written. One pass; the change sets kept are bounded by `keepChanges`.
 */
export function parseExport(text: string, options: ParseExportOptions = {}): ParsedExport {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length < 2)
    throw bad(lines.length, "an export has a header line and an end line; this input is too short (empty or truncated?)");
  const header = parseJsonInput(lines[0]!, "export line 1");
  if (!isObject(header) || header.statehouse !== "export") throw bad(1, 'not a statehouse export header ({"statehouse":"export",…})');
  if (typeof header.format !== "number" || !READABLE_FORMATS.includes(header.format)) {
    throw bad(1, `unsupported export format ${JSON.stringify(header.format)} (this version reads ${READABLE_FORMATS.join(" and ")})`);
  }
  const withChanges = header.format >= 2;
  const kept = new LastChanges(options.keepChanges ?? 1_000_000);
  const changeDigest = new ChangeDigest();
  let lastChange: number | undefined;
  const records: ExportRecord[] = [];
  const seen = new Set<string>();
  let trailer: Record<string, unknown> | undefined;
  for (let i = 1; i < lines.length; i++) {
    const n = i + 1;
    if (trailer !== undefined) throw bad(n, "text after the end line");
    const o = parseJsonInput(lines[i]!, `export line ${n}`);
    if (!isObject(o)) throw bad(n, "not a JSON object");
    if (o.statehouse === "end") {
      trailer = o;
      continue;
    }
    if (withChanges && (lastChange !== undefined || "sequence" in o)) {
      if ("collection" in o) throw bad(n, "a record after the change sets");
      const set = parseChangeSet(o, lastChange);
      if (typeof set === "string") throw bad(n, set);
      lastChange = set.sequence;
      changeDigest.add(set);
      kept.push(set);
      continue;
    }
    const { collection, id, revision, value } = o;
    if (typeof collection !== "string" || !isCollection(collection)) throw bad(n, `unknown collection ${JSON.stringify(collection)}`);
    try {
      validateId(id, "id");
      validateValue(value, undefined, `value of ${collection}/${String(id)}`);
    } catch (err) {
      throw bad(n, (err as Error).message);
    }
    if (!Number.isSafeInteger(revision) || (revision as number) < 1 || (revision as number) > MAX_IMPORT_REVISION) {
      throw bad(n, `revision must be an integer from 1 to ${MAX_IMPORT_REVISION}, got ${JSON.stringify(revision)}`);
    }
    const key = `${collection}\u0000${id as string}`;
    if (seen.has(key)) throw bad(n, `duplicate record ${collection}/${id as string}`);
    seen.add(key);
    records.push({ collection, id: id as string, revision: revision as number, value: value as JsonValue });
  }
  if (trailer === undefined) throw bad(lines.length, "no end line: the export is truncated");
  const d = digest(records);
  if (trailer.records !== d.count)
    throw bad(lines.length, `the end line counts ${JSON.stringify(trailer.records)} records, the file holds ${d.count}`);
  if (trailer.checksum !== d.checksum)
    throw bad(lines.length, `checksum mismatch: the end line says ${String(trailer.checksum)}, the records give ${d.checksum}`);
  if (withChanges) {
    if (trailer.changes !== changeDigest.count)
      throw bad(lines.length, `the end line counts ${JSON.stringify(trailer.changes)} change sets, the file holds ${changeDigest.count}`);
    if (trailer.changesChecksum !== changeDigest.checksum)
      throw bad(
        lines.length,
        `change log checksum mismatch: the end line says ${String(trailer.changesChecksum)}, the change sets give ${changeDigest.checksum}`,
      );
    if (lastChange !== undefined && lastChange !== header.sequence)
      throw bad(
        lines.length,
        `the change log ends at sequence ${lastChange}, the header says the export was read at ${String(header.sequence)}`,
      );
  }
  return { header: header as unknown as ExportHeader, records, digest: d, changes: kept.toArray(), changeCount: changeDigest.count };
}
