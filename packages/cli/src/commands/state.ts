import { type JsonValue, NotFoundError, type WriteResult } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { parseJsonInput } from "../io/json-input.js";
import { checkTarget, collect, condition, emit, jsonArg, listArgs, str, targetDoc, targetName, usage } from "./common.js";

/** `state get [QUERY]`: the whole document, a JSON Pointer's value, or a JSONPath's values. */
export async function get(ctx: CommandContext): Promise<number | undefined> {
  checkTarget(ctx);
  const query = ctx.args[0];
  const defaultText = str(ctx, "default");
  // A JSONPath query never fails for want of a match (it prints []): a default would never apply.
  if (defaultText !== undefined && query?.startsWith("$") === true)
    throw usage(ctx, "--default applies to a JSON Pointer or the whole document; a JSONPath prints [] when nothing matches");
  const fallback = defaultText === undefined ? undefined : (parseJsonInput(defaultText, "--default") as JsonValue);
  const doc = targetDoc(ctx, await ctx.open());
  const document = targetName(ctx);
  if (query === undefined) {
    const { value, revision } = await doc.read();
    const shown = value ?? fallback;
    if (shown === undefined) throw new NotFoundError(`state document "${document}" does not exist`, { details: { document } });
    await emit(ctx, {
      json: () => ({ document, revision, value: shown }),
      plain: () => [shown],
      human: () => ctx.out.pretty(shown),
    });
    return undefined;
  }
  if (query.startsWith("$")) {
    const nodes = await doc.query(query);
    const values = nodes.map((n) => n.value);
    await emit(ctx, {
      json: () => ({ document, query, value: values, matches: nodes.map((n) => ({ path: n.path, pointer: n.pointer })) }),
      plain: () => values,
      human: () => ctx.out.pretty(values),
    });
    return undefined;
  }
  // A JSON Pointer; anything else is refused by the domain with E_INVALID_QUERY.
  const value = (await doc.get(query)) ?? fallback;
  if (value === undefined)
    throw new NotFoundError(`nothing at ${JSON.stringify(query)} in state document "${document}"`, {
      details: { document, pointer: query },
    });
  await emit(ctx, {
    json: () => ({ document, pointer: query, value }),
    plain: () => [value],
    human: () => ctx.out.pretty(value),
  });
  return undefined;
}

async function written(ctx: CommandContext, verb: string, r: WriteResult, extra: Record<string, unknown> = {}): Promise<void> {
  const document = targetName(ctx);
  await emit(ctx, {
    json: () => ({ document, ...extra, revision: r.revision, sequence: r.sequence ?? null }),
    plain: () => [r.revision],
    human: () => ctx.out.line(`${verb} ${ctx.out.colors.cyan(document)} ${ctx.out.colors.dim(`(revision ${r.revision})`)}`),
  });
}

/** `state set POINTER VALUE` */
export async function set(ctx: CommandContext): Promise<number | undefined> {
  checkTarget(ctx);
  const value = (await jsonArg(ctx, 1)) as JsonValue;
  const cond = condition(ctx);
  const pointer = ctx.args[0]!;
  const r = await targetDoc(ctx, await ctx.open()).set(pointer, value, cond);
  await written(ctx, `set ${pointer} in`, r, { pointer });
  return undefined;
}

/** `state merge PATCH` (RFC 7396) */
export async function merge(ctx: CommandContext): Promise<number | undefined> {
  checkTarget(ctx);
  const patch = (await jsonArg(ctx, 0)) as JsonValue;
  const cond = condition(ctx);
  const r = await targetDoc(ctx, await ctx.open()).merge(patch, cond);
  await written(ctx, "merged into", r);
  return undefined;
}

/** `state patch OPERATIONS` (RFC 6902) */
export async function patch(ctx: CommandContext): Promise<number | undefined> {
  checkTarget(ctx);
  const operations = (await jsonArg(ctx, 0)) as JsonValue;
  const cond = condition(ctx);
  const r = await targetDoc(ctx, await ctx.open()).patch(operations, cond);
  await written(ctx, "patched", r);
  return undefined;
}

/** `state del POINTER` */
export async function del(ctx: CommandContext): Promise<number | undefined> {
  checkTarget(ctx);
  const cond = condition(ctx);
  const pointer = ctx.args[0]!;
  const r = await targetDoc(ctx, await ctx.open()).delete(pointer, cond);
  await written(ctx, `deleted ${pointer} from`, r, { pointer });
  return undefined;
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** `state incr POINTER [BY]`: prints the new value. */
export async function incr(ctx: CommandContext): Promise<number | undefined> {
  checkTarget(ctx);
  const byText = ctx.args[1];
  if (byText !== undefined && (!NUMBER.test(byText) || !Number.isFinite(Number(byText))))
    throw usage(ctx, `BY must be a number, got ${JSON.stringify(byText)}`);
  const by = byText === undefined ? 1 : Number(byText);
  const cond = condition(ctx);
  const pointer = ctx.args[0]!;
  const r = await targetDoc(ctx, await ctx.open()).increment(pointer, by, cond);
  const document = targetName(ctx);
  await emit(ctx, {
    json: () => ({ document, pointer, value: r.value, revision: r.revision, sequence: r.sequence ?? null }),
    plain: () => [r.value],
    human: () => ctx.out.line(String(r.value)),
  });
  return undefined;
}

/** `state docs`: the named state documents (sessions' own are listed with their sessions). */
export async function docs(ctx: CommandContext): Promise<number | undefined> {
  const args = listArgs(ctx);
  const store = await ctx.open();
  const page = await collect(args, (limit, cursor) => store.documents({ limit, ...(cursor !== undefined && { cursor }) }));
  await emit(ctx, {
    json: () => page,
    plain: () => page.items.map((d) => d.name),
    human: async () => {
      await ctx.out.table(
        ["NAME", "REVISION"],
        page.items.map((d) => [d.name, d.revision]),
      );
      if (page.cursor !== undefined) ctx.out.line(ctx.out.colors.dim(`more: --cursor ${page.cursor}`));
    },
  });
  return undefined;
}
