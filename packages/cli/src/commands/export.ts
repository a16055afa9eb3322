import type { CommandContext } from "../contract.js";
import { writePrivateAtomic } from "../io/files.js";
import { exportLines } from "../store-io/export-format.js";
import { readAll } from "../store-io/records.js";
import { str } from "./common.js";

/** `export [-o FILE]`: JSON Lines of every record, with revisions, checksummed. */
export async function exportCommand(ctx: CommandContext): Promise<number | undefined> {
  const adapter = (await ctx.openLocal()).adapter;
  const { records, sequence } = await readAll(adapter);
  const lines = exportLines({ source: ctx.storeUrl, adapter: adapter.kind, sequence, exportedAt: new Date().toISOString() }, records);
  const file = str(ctx, "output");
  if (file === undefined) {
    let batch = "";
    for (const line of lines) {
      batch += line;
      if (batch.length >= 1024 * 1024) {
        await ctx.out.rawAsync(batch);
        batch = "";
      }
    }
    await ctx.out.rawAsync(batch);
    return undefined;
  }
  await writePrivateAtomic(file, lines);
  if (ctx.out.mode === "json") ctx.out.json({ file, records: records.length, sequence });
  else if (ctx.out.mode === "plain") ctx.out.plain(records.length);
  else ctx.out.line(`exported ${records.length} records to ${file}`);
  return undefined;
}
