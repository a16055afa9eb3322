import type { ChangeSet } from "@statehouse/core";
import { parseStoreUrl } from "@statehouse/core/spi";
import type { CommandContext } from "../contract.js";
import { retainedChanges } from "../store-io/change-log.js";
import { digest, readAll } from "../store-io/records.js";
import { restore } from "../store-io/restore.js";
import { str, usage } from "./common.js";
import { copyReport } from "./copy-report.js";
import { verifyCopy } from "./verify.js";

/** `migrate --to URL`: copies every record (revisions kept) and the retained change log to another store, then verifies it. */
export async function migrate(ctx: CommandContext): Promise<number | undefined> {
  const to = str(ctx, "to");
  if (to === undefined) throw usage(ctx, "migrate needs --to URL (the target store)");
  const from = parseStoreUrl(ctx.storeUrl);
  const dest = parseStoreUrl(to);
  if (from.scheme === dest.scheme && from.location === dest.location && from.scheme !== "memory")
    throw usage(ctx, "--to names the source store itself");
  // A memory: store lives only in this process: the copy would be verified, then discarded.
  if (dest.scheme === "memory")
    throw usage(ctx, "--to memory: would discard everything when the command ends; name a persistent store (file:, sqlite:, lmdb:)");
  const source = (await ctx.openLocal()).adapter;
  const { records, sequence } = await readAll(source);
  const expected = digest(records);
  const changes: ChangeSet[] = [];
  for await (const page of retainedChanges(source, sequence)) changes.push(...page);
  const copied = await restore(to, records, {
    adapterOptions: ctx.storeOptions,
    changes,
    verify: (target) => verifyCopy(target, expected, to),
  });
  await copyReport(ctx, { from: ctx.storeUrl, to, digest: expected, verified: true, ...copied });
  return undefined;
}
