import type { GcReport } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { styled } from "../io/output.js";
import { emit, str, usage } from "./common.js";
import { parseAge } from "./duration.js";

const KINDS = [
  ["sessions", "ended sessions"],
  ["stateDocuments", "their state documents"],
  ["agents", "their agents"],
  ["idempotencyRecords", "expired idempotency records"],
  ["changeSets", "change sets"],
] as const;

/**
 * `gc [--dry-run] [--ended-older-than AGE]`: retention on demand. Opens the store directly (gc is
 * maintenance, like doctor: a daemon serving the store runs its own on its schedule) and prints
 * what it removed, or with --dry-run what it would remove.
 */
export async function run(ctx: CommandContext): Promise<number | undefined> {
  const ageText = str(ctx, "ended-older-than");
  const age = ageText === undefined ? undefined : parseAge(ageText);
  if (ageText !== undefined && age === undefined) {
    throw usage(ctx, `--ended-older-than must be an age such as 0s, 90m, 12h or 30d (at most 100 years), got ${JSON.stringify(ageText)}`);
  }
  const dryRun = ctx.opts["dry-run"] === true;
  const store = await ctx.openLocal();
  const policy = await store.retentionPolicy();
  const report: GcReport = await store.gc({ dryRun, ...(age !== undefined && { endedOlderThanMs: age }) });
  await emit(ctx, {
    json: () => report,
    plain: () => KINDS.map(([k]) => styled(`${k}\t${report[k]}`)),
    human: async () => {
      await ctx.out.table(
        ["WHAT", dryRun ? "WOULD REMOVE" : "REMOVED"],
        KINDS.map(([k, label]) => [label, String(report[k])]),
      );
      if (age === undefined && policy === undefined) {
        ctx.out.line(
          'no session was considered: the "default" project\'s config has no retention section and --ended-older-than was not given',
        );
      }
      if (dryRun) ctx.out.line("dry run: nothing was removed");
    },
  });
  return undefined;
}
