import { FINAL_SESSION_STATUSES, type JsonObject, SESSION_STATUSES, type Session, type SessionStatus } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { type Cell, type Styled, styled } from "../io/output.js";
import { collect, plainRecord, condition, emit, idempotencyKey, jsonOption, listArgs, oneOf, shortTime, str, usage } from "./common.js";

function row(s: Session): (string | number)[] {
  return [s.id, s.name, s.status, s.project ?? "", s.agentCount, shortTime(s.createdAt), shortTime(s.updatedAt)];
}

async function showOne(ctx: CommandContext, s: Session, created = false): Promise<void> {
  await emit(ctx, {
    json: () => s,
    plain: () => plainRecord(s, "id", created),
    human: () => ctx.out.record({ ...s, status: statusColored(ctx, s.status) }),
  });
}

/** A known status in its colour: styled by the CLI, so printed as is. */
function statusColored(ctx: CommandContext, status: SessionStatus): Styled {
  const c = ctx.out.colors;
  const paint = status === "active" ? c.cyan : status === "completed" ? c.green : status === "failed" ? c.red : c.yellow;
  return styled(paint(status));
}

/** `session create` */
export async function create(ctx: CommandContext): Promise<number | undefined> {
  const metadata = jsonOption(ctx, "metadata") as JsonObject | undefined;
  const options = {
    ...(str(ctx, "id") !== undefined && { id: str(ctx, "id") }),
    ...(str(ctx, "name") !== undefined && { name: str(ctx, "name") }),
    ...(str(ctx, "project") !== undefined && { project: str(ctx, "project") }),
    ...(metadata !== undefined && { metadata }),
  };
  const s = await (await ctx.open()).sessions.create(options, idempotencyKey(ctx));
  await showOne(ctx, s, true);
  return undefined;
}

/** `session list` */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const args = listArgs(ctx);
  const status = oneOf(ctx, "status", SESSION_STATUSES);
  const orderBy = str(ctx, "order-by");
  if (orderBy !== undefined && orderBy !== "createdAt" && orderBy !== "updatedAt")
    throw usage(ctx, `--order-by must be createdAt or updatedAt, got ${JSON.stringify(orderBy)}`);
  const store = await ctx.open();
  const page = await collect(args, (limit, cursor) =>
    store.sessions.list({
      limit,
      ...(cursor !== undefined && { cursor }),
      ...(status !== undefined && { status }),
      ...(str(ctx, "project") !== undefined && { project: str(ctx, "project") }),
      ...(orderBy !== undefined && { orderBy }),
      direction: ctx.opts.asc === true ? "asc" : "desc",
    }),
  );
  await emit(ctx, {
    json: () => page,
    plain: () => page.items.map((s) => s.id),
    human: async () => {
      await ctx.out.table(
        ["ID", "NAME", "STATUS", "PROJECT", "AGENTS", "CREATED", "UPDATED"],
        page.items.map((s) => {
          const r: Cell[] = row(s);
          r[2] = statusColored(ctx, s.status);
          return r;
        }),
      );
      if (page.cursor !== undefined) ctx.out.line(ctx.out.colors.dim(`more: --cursor ${page.cursor}`));
    },
  });
  return undefined;
}

/** `session show ID` */
export async function show(ctx: CommandContext): Promise<number | undefined> {
  await showOne(ctx, await (await ctx.open()).sessions.get(ctx.args[0]!));
  return undefined;
}

/** `session end ID [--status S]` */
export async function end(ctx: CommandContext): Promise<number | undefined> {
  const cond = condition(ctx);
  const status = oneOf(ctx, "status", FINAL_SESSION_STATUSES) ?? "completed";
  await showOne(ctx, await (await ctx.open()).sessions.end(ctx.args[0]!, status, cond));
  return undefined;
}

/** `session rm ID` */
export async function rm(ctx: CommandContext): Promise<number | undefined> {
  const cond = condition(ctx);
  const id = ctx.args[0]!;
  const r = await (await ctx.open()).sessions.delete(id, cond);
  await emit(ctx, {
    json: () => ({ id, deleted: true, revision: r.revision, sequence: r.sequence ?? null }),
    plain: () => [id],
    human: () => ctx.out.line(`deleted session ${ctx.out.colors.cyan(id)}`),
  });
  return undefined;
}
