import type { CommandContext } from "../contract.js";
import type { StoreDigest } from "../store-io/records.js";

/** Prints what an import or migrate wrote and verified. */
export async function copyReport(
  ctx: CommandContext,
  report: { from: string; to: string; digest: StoreDigest; verified: boolean; changes: number; changesSkipped?: string },
): Promise<void> {
  const { out } = ctx;
  if (out.mode === "json") {
    out.json(report);
    return;
  }
  if (out.mode === "plain") {
    out.plain(report.digest.count);
    return;
  }
  await out.table(
    ["COLLECTION", "RECORDS", "CHECKSUM"],
    Object.entries(report.digest.collections).map(([c, d]) => [c, d.count, d.checksum.slice(0, 23)]),
  );
  out.line(
    `${out.colors.green("verified")}: ${report.digest.count} records from ${report.from} to ${report.to}, counts and checksums equal`,
  );
  if (report.changesSkipped !== undefined) out.line(`change log not copied: ${report.changesSkipped}`);
  else if (report.changes > 0) out.line(`change log: ${report.changes} change sets copied, sequences kept`);
}
