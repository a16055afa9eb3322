import { ConfigError, CorruptError, type IntegrityReport, isStatehouseError } from "@statehouse/core";
import { openAdapterUrl } from "@statehouse/core/spi";
import type { CommandContext } from "../contract.js";
import { type GenericCheck, genericCheck } from "../store-io/integrity.js";
import { readAll } from "../store-io/records.js";
import { storeBytes } from "../store-io/store-bytes.js";

interface DoctorReport {
  store: string;
  /** Why this store: --store, STATEHOUSE_STORE, or the default and where it was found. */
  origin: string;
  adapter: string;
  ok: boolean;
  /** What the adapter's own check found first (before any repair); null when it has no check. */
  found: string[] | null;
  repaired: string[];
  generic: GenericCheck | null;
  /** The problems that remain: the engine's after repair, and the generic checks'. */
  problems: string[];
  /** With --compact, on a sound store: the bytes on disk before and after (null where unknown). */
  compacted: { before: number | null; after: number | null } | null;
}

/**
 * `doctor [--repair] [--compact]`: the adapter's own integrity check (`check({repair})`: checksums, engine
 * integrity, recovery from the last good copy where the adapter keeps one), then the generic
 * checks of the data through the SPI, then, with --compact and only on a sound store, the
 * adapter's compaction (which needs exclusive access: E_LOCK_TIMEOUT while other processes have
 * the store open). Exit 0 when the store is sound (after repair, if asked); else E_CORRUPT (9)
 * naming what remains.
 */
export async function doctor(ctx: CommandContext): Promise<number | undefined> {
  const repair = ctx.opts.repair === true;
  const compact = ctx.opts.compact === true;
  // The raw adapter, not the domain: a store too damaged for the domain must still be examined.
  // Never create the store it is asked to examine: a mistyped location is E_NOT_FOUND.
  const adapter = await openAdapterUrl(ctx.storeUrl, { ...ctx.storeOptions, create: false });
  const report: DoctorReport = {
    store: ctx.storeUrl,
    origin: ctx.storeOrigin,
    adapter: adapter.kind,
    ok: false,
    found: null,
    repaired: [],
    generic: null,
    problems: [],
    compacted: null,
  };
  try {
    if (compact && adapter.compact === undefined) {
      throw new ConfigError(`the ${adapter.kind} adapter cannot compact a store (capabilities.compaction is false)`, {
        details: { adapter: adapter.kind },
      });
    }
    if (adapter.check !== undefined) {
      const first = await adapter.check({ repair });
      report.found = engineProblems(first);
      report.repaired = [...first.repaired];
      // After a repair, look again: what remains is what counts.
      const after = repair && first.repaired.length > 0 ? await adapter.check({ repair: false }) : first;
      report.problems.push(...engineProblems(after));
    }
    // Reading records that the engine already knows to be corrupt would make an adapter recover
    // them on the spot (the file adapter does): a check without --repair must change nothing.
    if (!repair && report.problems.length > 0) {
      print(ctx, report, "skipped: the engine found problems (run with --repair)");
      throw corrupt(ctx, report, repair);
    }
    try {
      let { records } = await readAll(adapter);
      report.generic = await genericCheck(adapter, records);
      if (repair && report.generic.problems.length > 0) {
        const { removeOrphans } = await import("../store-io/orphans.js");
        const removed = await removeOrphans(adapter, records);
        if (removed.length > 0) {
          report.repaired.push(...removed);
          ({ records } = await readAll(adapter));
          report.generic = await genericCheck(adapter, records);
        }
      }
      report.problems.push(...report.generic.problems);
    } catch (err) {
      if (!isStatehouseError(err, "E_CORRUPT")) throw err;
      report.problems.push(err.message);
    }
    // Never rewrite a store that has problems: compaction copies what it can read.
    if (compact && report.problems.length === 0 && adapter.compact !== undefined) {
      const before = storeBytes(ctx.storeUrl) ?? null;
      await adapter.compact();
      report.compacted = { before, after: storeBytes(ctx.storeUrl) ?? null };
    }
  } finally {
    await adapter.close();
  }
  report.ok = report.problems.length === 0;
  print(ctx, report);
  if (!report.ok) throw corrupt(ctx, report, repair);
  return undefined;
}

function corrupt(ctx: CommandContext, report: DoctorReport, repair: boolean): CorruptError {
  const n = report.problems.length;
  return new CorruptError(
    `the store ${ctx.storeUrl} has ${n} problem${n === 1 ? "" : "s"}${repair ? "" : "; run statehouse doctor --repair"}`,
    {
      details: { issues: report.problems },
    },
  );
}

function engineProblems(r: IntegrityReport): string[] {
  return r.ok || r.problems.length > 0 ? [...r.problems] : ["the adapter's integrity check failed without naming a problem"];
}

function print(ctx: CommandContext, r: DoctorReport, skipped?: string): void {
  const { out } = ctx;
  if (out.mode === "json") {
    out.json(r);
    return;
  }
  if (out.mode === "plain") {
    out.plain(r.ok ? "ok" : "corrupt");
    for (const p of r.repaired) out.plain(`repaired: ${p}`);
    if (r.compacted !== null) out.plain(`compacted: ${r.compacted.before ?? "?"} -> ${r.compacted.after ?? "?"} bytes`);
    for (const p of r.problems) out.plain(`problem: ${p}`);
    return;
  }
  const c = out.colors;
  out.line(`${c.bold("store")}    ${r.store} (${r.adapter} adapter)`);
  out.line(`${c.bold("why")}      ${r.origin}`);
  out.line(
    `${c.bold("engine")}   ${r.found === null ? c.dim("no engine check (the adapter has none)") : r.found.length === 0 ? c.green("ok") : c.yellow(`${r.found.length} problem(s) found`)}`,
  );
  if (r.repaired.length > 0) for (const p of r.found ?? []) out.line(`  ${c.yellow("!")} found: ${p}`);
  if (skipped !== undefined) out.line(`${c.bold("records")}  ${c.dim(skipped)}`);
  if (r.generic !== null) {
    const counts = Object.entries(r.generic.records)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    out.line(`${c.bold("records")}  ${counts}; sequence ${r.generic.sequence}`);
  }
  for (const p of r.repaired) out.line(`  ${c.green("✓")} repaired: ${p}`);
  if (r.compacted !== null) out.line(`${c.bold("space")}    compacted: ${bytes(r.compacted.before)} → ${bytes(r.compacted.after)}`);
  for (const p of r.problems) out.line(`  ${c.red("✗")} ${p}`);
  out.line(r.ok ? c.green("the store is sound") : c.red("the store has problems"));
}

function bytes(n: number | null): string {
  if (n === null) return "?";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
