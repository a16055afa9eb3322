import type { JsonObject, JsonValue, Tool, ToolDescriptor } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { parseJsonInput, readStdin } from "../io/json-input.js";
import { collect, plainRecord, condition, emit, jsonOption, listArgs, shortTime, str, usage } from "./common.js";

async function showOne(ctx: CommandContext, t: Tool, created = false): Promise<void> {
  await emit(ctx, {
    json: () => t,
    plain: () => plainRecord(t, "name", created),
    human: () => ctx.out.record(t as unknown as Record<string, unknown>),
  });
}

/** The descriptor: a JSON object argument (or `-` for stdin), or a name plus options. */
async function descriptor(ctx: CommandContext): Promise<ToolDescriptor> {
  const arg = ctx.args[0]!;
  const fields = ["description", "command", "input-schema", "metadata"].filter((f) => ctx.opts[f] !== undefined);
  if (arg === "-" || arg.trimStart().startsWith("{")) {
    if (fields.length > 0) throw usage(ctx, `--${fields[0]} cannot be combined with a JSON descriptor`);
    const d = arg === "-" ? parseJsonInput(await readStdin(), "DESCRIPTOR (stdin)") : parseJsonInput(arg, "DESCRIPTOR");
    return d as unknown as ToolDescriptor;
  }
  const inputSchema = jsonOption(ctx, "input-schema") as JsonValue | undefined;
  const metadata = jsonOption(ctx, "metadata") as JsonObject | undefined;
  return {
    name: arg,
    ...(str(ctx, "description") !== undefined && { description: str(ctx, "description") }),
    ...(str(ctx, "command") !== undefined && { command: str(ctx, "command") }),
    ...(inputSchema !== undefined && { inputSchema }),
    ...(metadata !== undefined && { metadata }),
  };
}

/** `tools register NAME_OR_DESCRIPTOR` */
export async function register(ctx: CommandContext): Promise<number | undefined> {
  const d = await descriptor(ctx);
  const cond = condition(ctx);
  await showOne(ctx, await (await ctx.open()).tools.register(d, cond), true);
  return undefined;
}

/** `tools list` */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const args = listArgs(ctx);
  const store = await ctx.open();
  const page = await collect(args, (limit, cursor) => store.tools.list({ limit, ...(cursor !== undefined && { cursor }) }));
  await emit(ctx, {
    json: () => page,
    plain: () => page.items.map((t) => t.name),
    human: async () => {
      await ctx.out.table(
        ["NAME", "DESCRIPTION", "COMMAND", "UPDATED"],
        page.items.map((t) => [t.name, t.description ?? "", t.command ?? "", shortTime(t.updatedAt)]),
      );
      if (page.cursor !== undefined) ctx.out.line(ctx.out.colors.dim(`more: --cursor ${page.cursor}`));
    },
  });
  return undefined;
}

/** `tools show NAME` */
export async function show(ctx: CommandContext): Promise<number | undefined> {
  await showOne(ctx, await (await ctx.open()).tools.get(ctx.args[0]!));
  return undefined;
}

/** `tools rm NAME` */
export async function rm(ctx: CommandContext): Promise<number | undefined> {
  const cond = condition(ctx);
  const name = ctx.args[0]!;
  await (await ctx.open()).tools.unregister(name, cond);
  await emit(ctx, {
    json: () => ({ name, removed: true }),
    plain: () => [name],
    human: () => ctx.out.line(`unregistered tool ${ctx.out.colors.cyan(name)}`),
  });
  return undefined;
}
