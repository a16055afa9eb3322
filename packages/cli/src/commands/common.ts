import type { Condition, Page, StateDocumentApi, StoreApi } from "@statehouse/core";
import { type CommandContext, usageLine } from "../contract.js";
import { parseJsonInput, readStdin } from "../io/json-input.js";
import { plainText, styled } from "../io/output.js";
import { usageError } from "../usage.js";

/** A usage error for this command, with its usage line. */
export function usage(ctx: CommandContext, problem: string): Error {
  return usageError(problem, usageLine(ctx.command), `statehouse ${ctx.command.name} --help`);
}

/** The string option, or undefined. */
export function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.opts[name];
  return typeof v === "string" ? v : undefined;
}

/** An integer option within bounds, or undefined when absent. */
export function int(ctx: CommandContext, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = str(ctx, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw usage(ctx, `--${name} must be an integer ${range}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** A string option that must be one of `allowed` (a bad value is a usage error, like a bad --limit); undefined when absent. */
export function oneOf<T extends string>(ctx: CommandContext, name: string, allowed: readonly T[]): T | undefined {
  const v = str(ctx, name);
  if (v === undefined || (allowed as readonly string[]).includes(v)) return v as T | undefined;
  throw usage(ctx, `--${name} must be ${allowed.slice(0, -1).join(", ")} or ${allowed[allowed.length - 1]}, got ${JSON.stringify(v)}`);
}

/** The `--if-revision N` condition, if given. */
export function condition(ctx: CommandContext): Condition | undefined {
  const r = int(ctx, "if-revision", 0);
  const fence = str(ctx, "if-lease");
  const key = idempotencyKey(ctx);
  const cond: Condition = { ...(r !== undefined && { ifRevision: r }), ...(key !== undefined && key) };
  if (fence !== undefined) {
    // NAME:TOKEN, split at the last colon; the name itself is validated by core like any lease name.
    const m = /^(.+):(\d{1,15})$/.exec(fence);
    if (m === null || Number(m[2]) < 1) throw usage(ctx, `--if-lease must be NAME:TOKEN (a positive token), got ${JSON.stringify(fence)}`);
    cond.ifLease = { name: m[1]!, token: Number(m[2]) };
  }
  return Object.keys(cond).length === 0 ? undefined : cond;
}

/** `--idempotency-key KEY` as the library's option (validated by the store), if given. */
export function idempotencyKey(ctx: CommandContext): { idempotencyKey: string } | undefined {
  const key = str(ctx, "idempotency-key");
  return key === undefined ? undefined : { idempotencyKey: key };
}

/** A JSON argument (or stdin when it is `-`), parsed with a precise error when it is not JSON. */
export async function jsonArg(ctx: CommandContext, index: number): Promise<unknown> {
  const name = ctx.command.args[index]!.replace(/\?$/, "");
  const text = ctx.args[index]!;
  if (text === "-") return parseJsonInput(await readStdin(), `${name} (stdin)`);
  return parseJsonInput(text, name);
}

/** A JSON option such as `--metadata`, parsed with a precise error; undefined when absent. */
export function jsonOption(ctx: CommandContext, name: string): unknown {
  const v = str(ctx, name);
  return v === undefined ? undefined : parseJsonInput(v, `--${name}`);
}

/** Checks `--doc` / `--session` before anything is opened. */
export function checkTarget(ctx: CommandContext): void {
  if (str(ctx, "doc") !== undefined && str(ctx, "session") !== undefined) throw usage(ctx, "--doc and --session exclude each other");
}

/** The state document named by `--doc` / `--session` (default `global`). */
export function targetDoc(ctx: CommandContext, store: StoreApi): StateDocumentApi {
  const session = str(ctx, "session");
  return session !== undefined ? store.sessionState(session) : store.state(str(ctx, "doc") ?? "global");
}

/** The document's name as reported in output: `global`, or `session:ID`. */
export function targetName(ctx: CommandContext): string {
  const session = str(ctx, "session");
  return session !== undefined ? `session:${session}` : (str(ctx, "doc") ?? "global");
}

export interface ListArgs {
  limit: number;
  cursor: string | undefined;
  all: boolean;
}

export function listArgs(ctx: CommandContext): ListArgs {
  const all = ctx.opts.all === true;
  if (all && str(ctx, "cursor") !== undefined) throw usage(ctx, "--all and --cursor exclude each other");
  return { limit: int(ctx, "limit", 1, 10_000) ?? (all ? 1000 : 50), cursor: str(ctx, "cursor"), all };
}

/** One page, or with `--all` every page concatenated. */
export async function collect<T>(args: ListArgs, page: (limit: number, cursor: string | undefined) => Promise<Page<T>>): Promise<Page<T>> {
  if (!args.all) return page(args.limit, args.cursor);
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(args.limit, cursor);
    items.push(...p.items);
    cursor = p.cursor;
  } while (cursor !== undefined);
  return { items };
}

/** Prints a result the way the mode asks. */
export async function emit(
  ctx: CommandContext,
  ways: { json: () => unknown; plain: () => unknown[]; human: () => Promise<void> | void },
): Promise<void> {
  const { out } = ctx;
  if (out.mode === "json") out.json(ways.json());
  else if (out.mode === "plain") for (const v of ways.plain()) out.plain(v);
  else await ways.human();
}

/**
 * `--plain` lines of one record: `field<TAB>value` (values as `--plain` prints them), or only its
 * id when the command's point is to make one (create, spawn, register: `ID=$(statehouse …)`).
 */
export function plainRecord(record: object, idField: string, onlyId: boolean): unknown[] {
  const r = record as Record<string, unknown>;
  if (onlyId) return [r[idField]];
  return (
    Object.entries(r)
      .filter(([, v]) => v !== undefined)
      // The tab is the field separator: the value alone is made terminal-safe (a tab in it shows as `\t`).
      .map(([k, v]) => styled(`${k}\t${plainText(v)}`))
  );
}

/** A short local time for tables: `2025-01-31 14:05:09`. */
export function shortTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return "";
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}
