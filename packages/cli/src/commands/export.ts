import type { CommandContext } from "../contract.js";
import { writePrivateAtomic } from "../io/files.js";
import { exportStore } from "../store-io/export-stream.js";
import { str } from "./common.js";

/** `export [-o FILE]`: JSON Lines of every record, with revisions, checksummed; written in batches, never as one string. */
export async function exportCommand(ctx: CommandContext): Promise<number | undefined> {
  const adapter = (await ctx.openLocal()).adapter;
  const file = str(ctx, "output");
  if (file === undefined) {
    await exportStore(adapter, process.stdout, { source: ctx.storeUrl });
    return undefined;
  }
  const { records, sequence } = await writePrivateAtomic(file, (stream) => exportStore(adapter, stream, { source: ctx.storeUrl }));
  if (ctx.out.mode === "json") ctx.out.json({ file, records, sequence });
  else if (ctx.out.mode === "plain") ctx.out.plain(records);
  else ctx.out.line(`exported ${records} records to ${file}`);
  return undefined;
}
