import { readText } from "../io/files.js";
import type { CommandContext } from "../contract.js";
import { readStdin } from "../io/json-input.js";
import { parseExport } from "../store-io/export-format.js";
import { restore } from "../store-io/restore.js";
import { copyReport } from "./copy-report.js";
import { verifyCopy } from "./verify.js";

/** `import [FILE]`: an export into an empty store, revisions and the retained change log kept, verified. */
export async function importCommand(ctx: CommandContext): Promise<number | undefined> {
  const file = ctx.args[0];
  const text = file === undefined || file === "-" ? await readStdin() : await readText(file);
  // Everything is parsed and checked before the store is touched.
  const { records, digest, changes } = parseExport(text);
  const copied = await restore(ctx.storeUrl, records, {
    adapterOptions: ctx.storeOptions,
    changes,
    verify: (target) => verifyCopy(target, digest, ctx.storeUrl),
  });
  await copyReport(ctx, { from: file ?? "stdin", to: ctx.storeUrl, digest, verified: true, ...copied });
  return undefined;
}
