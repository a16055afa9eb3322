import { ConfigError, type JsonObject, NotFoundError } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { collect, condition, emit, jsonArg, listArgs } from "./common.js";

/** `config get PROJECT` */
export async function get(ctx: CommandContext): Promise<number | undefined> {
  const c = await (await ctx.open()).config.get(ctx.args[0]!);
  await emit(ctx, {
    json: () => c,
    plain: () => [c.config],
    human: () => ctx.out.pretty(c.config),
  });
  return undefined;
}

/** `config set PROJECT CONFIG` */
export async function set(ctx: CommandContext): Promise<number | undefined> {
  const config = (await jsonArg(ctx, 1)) as JsonObject;
  const cond = condition(ctx);
  const c = await (await ctx.open()).config.set(ctx.args[0]!, config, cond);
  await emit(ctx, {
    json: () => c,
    plain: () => [c.revision],
    human: () => ctx.out.line(`set the config of ${ctx.out.colors.cyan(c.project)} ${ctx.out.colors.dim(`(revision ${c.revision})`)}`),
  });
  return undefined;
}

/** `config validate PROJECT [CONFIG]`: E_CONFIG (exit 13) with every issue when invalid. */
export async function validate(ctx: CommandContext): Promise<number | undefined> {
  const project = ctx.args[0]!;
  const given = ctx.args[1] === undefined ? undefined : await jsonArg(ctx, 1);
  const store = await ctx.open();
  const config = given === undefined ? (await store.config.get(project)).config : given;
  const issues = await store.config.validate(config as JsonObject);
  if (issues.length > 0) {
    throw new ConfigError(`invalid config for project "${project}": ${issues.join("; ")}`, { details: { project, issues } });
  }
  await emit(ctx, {
    json: () => ({ project, valid: true, issues: [] }),
    plain: () => ["valid"],
    human: () => ctx.out.line(`${ctx.out.colors.green("valid")}: the config of ${project}${given === undefined ? " (stored)" : ""}`),
  });
  return undefined;
}

/** `config list`: every project with a config. */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const args = listArgs(ctx);
  const store = await ctx.open();
  const page = await collect(args, (limit, cursor) => store.config.list({ limit, ...(cursor !== undefined && { cursor }) }));
  await emit(ctx, {
    json: () => page,
    plain: () => page.items.map((c) => c.project),
    human: async () => {
      await ctx.out.table(
        ["PROJECT", "REVISION", "CONFIG"],
        page.items.map((c) => [c.project, c.revision, JSON.stringify(c.config)]),
      );
      if (page.cursor !== undefined) ctx.out.line(ctx.out.colors.dim(`more: --cursor ${page.cursor}`));
    },
  });
  return undefined;
}

/** `config rm PROJECT`: E_NOT_FOUND (exit 3) when the project has no config. */
export async function rm(ctx: CommandContext): Promise<number | undefined> {
  const project = ctx.args[0]!;
  const removed = await (await ctx.open()).config.delete(project, condition(ctx));
  if (!removed) throw new NotFoundError(`project "${project}" has no config`, { details: { project } });
  await emit(ctx, {
    json: () => ({ project, removed: true }),
    plain: () => [project],
    human: () => ctx.out.line(`deleted the config of ${ctx.out.colors.cyan(project)}`),
  });
  return undefined;
}

/** `config schema`: the JSON Schema configs are validated against (built-in, extended or replaced). */
export async function schema(ctx: CommandContext): Promise<number | undefined> {
  const s = await (await ctx.open()).config.schema();
  await emit(ctx, {
    json: () => s,
    plain: () => [s],
    human: () => ctx.out.pretty(s),
  });
  return undefined;
}
