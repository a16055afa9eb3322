import { AGENT_STATUSES, type Agent, type AgentStatus, type JsonObject } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { type Styled, styled } from "../io/output.js";
import { collect, plainRecord, condition, emit, idempotencyKey, jsonOption, listArgs, oneOf, shortTime, str, usage } from "./common.js";

/** A known status in its colour: styled by the CLI, so printed as is. */
function statusColored(ctx: CommandContext, status: AgentStatus): Styled {
  const c = ctx.out.colors;
  const paint = status === "running" ? c.green : status === "failed" ? c.red : status === "completed" ? c.dim : c.yellow;
  return styled(paint(status));
}

async function showOne(ctx: CommandContext, a: Agent, created = false): Promise<void> {
  await emit(ctx, {
    json: () => a,
    plain: () => plainRecord(a, "id", created),
    human: () => ctx.out.record({ ...a, status: statusColored(ctx, a.status) }),
  });
}

function pidOption(ctx: CommandContext, allowNull: boolean): number | null | undefined {
  const v = str(ctx, "pid");
  if (v === undefined) return undefined;
  if (allowNull && v === "null") return null;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)))
    throw usage(ctx, `--pid must be a non-negative integer${allowNull ? " or null" : ""}, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** `agent spawn SESSION_ID ROLE` */
export async function spawn(ctx: CommandContext): Promise<number | undefined> {
  const metadata = jsonOption(ctx, "metadata") as JsonObject | undefined;
  const pid = pidOption(ctx, false);
  const status = oneOf(ctx, "status", AGENT_STATUSES);
  const a = await (await ctx.open()).agents.spawn(
    ctx.args[0]!,
    {
      role: ctx.args[1]!,
      ...(str(ctx, "id") !== undefined && { id: str(ctx, "id") }),
      ...(status !== undefined && { status }),
      ...(pid !== undefined && { pid }),
      ...(metadata !== undefined && { metadata }),
    },
    idempotencyKey(ctx),
  );
  await showOne(ctx, a, true);
  return undefined;
}

/** `agent list` */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const args = listArgs(ctx);
  const status = oneOf(ctx, "status", AGENT_STATUSES);
  const store = await ctx.open();
  const page = await collect(args, (limit, cursor) =>
    store.agents.list({
      limit,
      ...(cursor !== undefined && { cursor }),
      ...(str(ctx, "session") !== undefined && { sessionId: str(ctx, "session") }),
      ...(status !== undefined && { status }),
      direction: ctx.opts.desc === true ? "desc" : "asc",
    }),
  );
  await emit(ctx, {
    json: () => page,
    plain: () => page.items.map((a) => a.id),
    human: async () => {
      await ctx.out.table(
        ["ID", "SESSION", "ROLE", "STATUS", "PID", "HEARTBEAT", "CREATED"],
        page.items.map((a) => [
          a.id,
          a.sessionId,
          a.role,
          `${statusColored(ctx, a.status)}${a.stale === true ? ` ${ctx.out.colors.red("(stale)")}` : ""}`,
          a.pid,
          shortTime(a.heartbeatAt),
          shortTime(a.createdAt),
        ]),
      );
      if (page.cursor !== undefined) ctx.out.line(ctx.out.colors.dim(`more: --cursor ${page.cursor}`));
    },
  });
  return undefined;
}

/** `agent show ID` */
export async function show(ctx: CommandContext): Promise<number | undefined> {
  await showOne(ctx, await (await ctx.open()).agents.get(ctx.args[0]!));
  return undefined;
}

/** `agent update ID [--status S] [--role R] [--pid N|null] [--metadata JSON]` */
export async function update(ctx: CommandContext): Promise<number | undefined> {
  const metadata = jsonOption(ctx, "metadata") as JsonObject | undefined;
  const pid = pidOption(ctx, true);
  const status = oneOf(ctx, "status", AGENT_STATUSES);
  const changes = {
    ...(status !== undefined && { status }),
    ...(str(ctx, "role") !== undefined && { role: str(ctx, "role") }),
    ...(pid !== undefined && { pid }),
    ...(metadata !== undefined && { metadata }),
  };
  if (Object.keys(changes).length === 0) throw usage(ctx, "nothing to update: give --status, --role, --pid or --metadata");
  const cond = condition(ctx);
  await showOne(ctx, await (await ctx.open()).agents.update(ctx.args[0]!, changes, cond));
  return undefined;
}

/** `agent heartbeat ID` */
export async function heartbeat(ctx: CommandContext): Promise<number | undefined> {
  const cond = condition(ctx);
  await showOne(ctx, await (await ctx.open()).agents.heartbeat(ctx.args[0]!, cond));
  return undefined;
}

/** `agent reap [--session ID]`: marks agents whose heartbeat is older than their project's timeout `failed`. */
export async function reap(ctx: CommandContext): Promise<number | undefined> {
  const session = str(ctx, "session");
  const reaped = await (await ctx.openLocal()).agents.reap(session === undefined ? {} : { sessionId: session });
  await emit(ctx, {
    json: () => ({ reaped }),
    plain: () => reaped.map((a) => a.id),
    human: async () => {
      if (reaped.length === 0) ctx.out.line("no stale agents");
      else
        await ctx.out.table(
          ["ID", "SESSION", "ROLE", "LAST HEARTBEAT"],
          reaped.map((a) => [a.id, a.sessionId, a.role, shortTime(a.heartbeatAt)]),
        );
    },
  });
  return undefined;
}

/** `agent rm ID`: deletes the agent record (E_NOT_FOUND, exit 3, if there is none). */
export async function rm(ctx: CommandContext): Promise<number | undefined> {
  const id = ctx.args[0]!;
  await (await ctx.open()).agents.delete(id, condition(ctx));
  await emit(ctx, {
    json: () => ({ id, removed: true }),
    plain: () => [id],
    human: () => ctx.out.line(`deleted agent ${ctx.out.colors.cyan(id)}`),
  });
  return undefined;
}
