import { type JsonValue, ValidationError, validateId, validateValue } from "@statehouse/core";
import { parseJsonInput } from "../io/json-input.js";
import { isCollection } from "./index-keys.js";
import { type ExportRecord, type StoreDigest, digest } from "./records.js";

/**
 * The export format: JSON Lines.
 *   line 1:  {"statehouse":"export","format":1,"source":URL,"adapter":KIND,"sequence":N,"exportedAt":ISO}
 *   then:    {"collection":C,"id":ID,"revision":R,"value":V}   one per record, in (collection, id) order
 *   last:    {"statehouse":"end","records":N,"checksum":"sha256:…"}
 * The trailer makes a truncated or edited file detectable before anything is imported.
 */
export const FORMAT = 1;

export interface ExportHeader {
  statehouse: "export";
  format: number;
  source: string;
  adapter: string;
  sequence: number;
  exportedAt: string;
}

/** The export's lines, each ending in a newline, one at a time: never the whole file as one string. */
export function* exportLines(header: Omit<ExportHeader, "statehouse" | "format">, records: readonly ExportRecord[]): Generator<string> {
  yield `${JSON.stringify({ statehouse: "export", format: FORMAT, ...header })}\n`;
  for (const r of records) yield `${JSON.stringify({ collection: r.collection, id: r.id, revision: r.revision, value: r.value })}\n`;
  const d = digest(records);
  yield `${JSON.stringify({ statehouse: "end", records: d.count, checksum: d.checksum })}\n`;
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

/** Parses and checks a whole export (every line, the trailer's count and checksum) before anything is written. */
export function parseExport(text: string): { header: ExportHeader; records: ExportRecord[]; digest: StoreDigest } {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length < 2)
    throw bad(lines.length, "an export has a header line and an end line; this input is too short (empty or truncated?)");
  const header = parseJsonInput(lines[0]!, "export line 1");
  if (!isObject(header) || header.statehouse !== "export") throw bad(1, 'not a statehouse export header ({"statehouse":"export",…})');
  if (header.format !== FORMAT) throw bad(1, `unsupported export format ${JSON.stringify(header.format)} (this version reads ${FORMAT})`);
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
  return { header: header as unknown as ExportHeader, records, digest: d };
}
