import { type JsonValue, NotFoundError, type WriteResult, compileQuery, getAt } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { parseJsonInput } from "../io/json-input.js";
import { checkTarget, collect, condition, emit, int, jsonArg, listArgs, str, targetDoc, targetName, usage } from "./common.js";

/** `state get [QUERY]`: the whole document, a JSON Pointer's value, or a JSONPath's values. */
export async function get(ctx: CommandContext): Promise<number | undefined> {
  checkTarget(ctx);
  const revision = int(ctx, "revision", 1);
  if (revision !== undefined) return getAtRevision(ctx, revision);
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

/** `state get --revision R [QUERY]`: the same reads, of a revision kept in history. */
async function getAtRevision(ctx: CommandContext, revision: number): Promise<number | undefined> {
  const query = ctx.args[0];
  if (str(ctx, "default") !== undefined) throw usage(ctx, "--default does not apply with --revision: a revision that is not kept fails");
  // Compiled before the read, so a bad query costs no I/O.
  const compiled = query?.startsWith("$") === true ? compileQuery(query) : undefined;
  const doc = targetDoc(ctx, await ctx.open());
  const document = targetName(ctx);
  const { value } = await doc.read({ revision });
  if (compiled !== undefined) {
    const nodes = compiled.run(value!);
    const values = nodes.map((n) => n.value);
    await emit(ctx, {
      json: () => ({ document, revision, query, value: values, matches: nodes.map((n) => ({ path: n.path, pointer: n.pointer })) }),
      plain: () => values,
      human: () => ctx.out.pretty(values),
    });
    return undefined;
  }
  if (query !== undefined && query !== "" && !query.startsWith("/")) {
    throw usage(ctx, `QUERY is a JSONPath ($…) or a JSON Pointer (/…), got ${JSON.stringify(query)}`);
  }
  const at = query === undefined ? value : getAt(value!, query);
  if (at === undefined)
    throw new NotFoundError(`nothing at ${JSON.stringify(query)} in revision ${revision} of state document "${document}"`, {
      details: { document, revision, pointer: query },
    });
  await emit(ctx, {
    json: () => ({ document, revision, ...(query !== undefined && { pointer: query }), value: at }),
    plain: () => [at],
    human: () => ctx.out.pretty(at),
  });
  return undefined;
}

/** `state history`: the document's revisions, newest first (the current one, then those kept). */
export async function history(ctx: CommandContext): Promise<number | undefined> {
  checkTarget(ctx);
  const limit = int(ctx, "limit", 1, 1000) ?? 20;
  const before = int(ctx, "before", 1);
  const doc = targetDoc(ctx, await ctx.open());
  const document = targetName(ctx);
  const entries = await doc.history({ limit, ...(before !== undefined && { before }) });
  await emit(ctx, {
    json: () => ({ document, entries }),
    plain: () => entries.map((e) => e.revision),
    human: () =>
      ctx.out.table(
        ["REVISION", "TIME", "SIZE"],
        entries.map((e) => [e.revision, e.at ?? "-", e.size]),
      ),
  });
  return undefined;
}

/** `state diff A B`: the JSON Patch (RFC 6902) from revision A to revision B. */
export async function diff(ctx: CommandContext): Promise<number | undefined> {
  checkTarget(ctx);
  const [from, to] = [0, 1].map((i) => {
    const text = ctx.args[i]!;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1)
      throw usage(ctx, `${i === 0 ? "A" : "B"} must be a revision (a positive integer), got ${JSON.stringify(text)}`);
    return Number(text);
  }) as [number, number];
  const doc = targetDoc(ctx, await ctx.open());
  const document = targetName(ctx);
  const operations = await doc.diff(from, to);
  await emit(ctx, {
    json: () => ({ document, from, to, operations }),
    plain: () => operations.map((o) => JSON.stringify(o)),
    human: () => ctx.out.pretty(operations),
  });
  return undefined;
}
