import { open as openFile } from "node:fs/promises";
import { fromSystemError } from "@statehouse/core";
import type { CommandContext } from "../context.js";
import { formatExport } from "../store-io/export-format.js";
import { readAll } from "../store-io/records.js";
import { str } from "./common.js";

/** `export [-o FILE]`: JSON Lines of every record, with revisions, checksummed. */
export async function exportCommand(ctx: CommandContext): Promise<number | undefined> {
  const adapter = (await ctx.open()).adapter;
  const { records, sequence } = await readAll(adapter);
  const text = formatExport({ source: ctx.storeUrl, adapter: adapter.kind, sequence, exportedAt: new Date().toISOString() }, records);
  const file = str(ctx, "output");
  if (file === undefined) {
    ctx.out.raw(text);
    return undefined;
  }
  try {
    const fh = await openFile(file, "w", 0o600);
    try {
      await fh.chmod(0o600);
      await fh.writeFile(text, "utf8");
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw fromSystemError(err, `writing ${file}`);
  }
  if (ctx.out.mode === "json") ctx.out.json({ file, records: records.length, sequence });
  else if (ctx.out.mode === "plain") ctx.out.plain(records.length);
  else ctx.out.line(`exported ${records.length} records to ${file}`);
  return undefined;
}
