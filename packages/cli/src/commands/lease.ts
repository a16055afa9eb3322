import type { Lease } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { emit, int, plainRecord, str, usage } from "./common.js";

function required(ctx: CommandContext, name: string): string {
  const v = str(ctx, name);
  if (v === undefined) throw usage(ctx, `--${name} is required`);
  return v;
}

async function showLease(ctx: CommandContext, l: Lease, tokenOnly: boolean): Promise<void> {
  await emit(ctx, {
    json: () => l,
    plain: () => (tokenOnly ? [l.token] : plainRecord(l, "name", false)),
    human: () => (tokenOnly ? ctx.out.line(String(l.token)) : ctx.out.record({ ...l })),
  });
}

/** `lease acquire NAME --holder ID --ttl MS`: prints the token. */
export async function acquire(ctx: CommandContext): Promise<number | undefined> {
  const holder = required(ctx, "holder");
  required(ctx, "ttl");
  const ttlMs = int(ctx, "ttl", 1, 86_400_000)!;
  await showLease(ctx, await (await ctx.openLocal()).leases.acquire(ctx.args[0]!, { holder, ttlMs }), true);
  return undefined;
}

/** `lease renew NAME --token N [--ttl MS]` */
export async function renew(ctx: CommandContext): Promise<number | undefined> {
  required(ctx, "token");
  const token = int(ctx, "token", 1)!;
  const ttlMs = int(ctx, "ttl", 1, 86_400_000);
  await showLease(ctx, await (await ctx.openLocal()).leases.renew(ctx.args[0]!, { token, ...(ttlMs !== undefined && { ttlMs }) }), false);
  return undefined;
}

/** `lease release NAME --token N` */
export async function release(ctx: CommandContext): Promise<number | undefined> {
  required(ctx, "token");
  const token = int(ctx, "token", 1)!;
  const released = await (await ctx.openLocal()).leases.release(ctx.args[0]!, { token });
  await emit(ctx, {
    json: () => ({ name: ctx.args[0], released }),
    plain: () => [released],
    human: () => ctx.out.line(released ? `released lease ${ctx.args[0]}` : `lease ${ctx.args[0]} had already expired`),
  });
  return undefined;
}

/** `lease show NAME` */
export async function show(ctx: CommandContext): Promise<number | undefined> {
  await showLease(ctx, await (await ctx.openLocal()).leases.require(ctx.args[0]!), false);
  return undefined;
}
