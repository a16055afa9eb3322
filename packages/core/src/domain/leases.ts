import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { JsonObject } from "../json/types.js";
import type { TxContext } from "../spi/types.js";
import { validateId } from "../validation.js";
import type { DomainContext, Plan } from "./context.js";

/**
 * Leases with fencing tokens, written once on the SPI so every adapter has them.
 *
 * Clock rules: a lease's expiry is judged inside the transaction that acquires, renews, releases
 * or fences with it, by the committing process's wall clock (processes sharing a store share a
 * machine, or a database server's commit order) — never earlier than the latest time already
 * recorded on the lease. So a clock stepping back can only make a lease last longer in real time,
 * never let two holders overlap; a clock jumping forward can end a lease early, which fencing
 * makes safe: the old holder's fenced writes are refused. `ttlMs` is an integer from 1 to
 * 86,400,000 (24 h). Tokens only grow: the record of a released or expired lease is kept with its
 * last token, and each acquisition by a new holder takes the next one.
 */

/** Collection of lease records, one per lease name. */
export const LEASES = "leases";
export const MAX_TTL_MS = 86_400_000;

/** A lease as stored and read. */
export interface Lease {
  readonly name: string;
  /** The current holder, or null once released. */
  readonly holder: string | null;
  /** Grows by one with each acquisition by a new holder; never reused. */
  readonly token: number;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  /** Reads only: whether it is held (not released, not expired) at the time of the read. */
  readonly held: boolean;
}

/** Options of `Leases.acquire`. */
export interface LeaseAcquireOptions {
  /** Who takes the lease: an agent id, a host:pid, … (1 to 200 characters). */
  holder: string;
  /** How long the lease lasts without a renewal, in milliseconds (1 to 86,400,000). */
  ttlMs: number;
}

/** Options of `Leases.renew`. */
export interface LeaseRenewOptions {
  /** The token `acquire` returned. */
  token: number;
  /** Default: the ttl of the acquisition being renewed. */
  ttlMs?: number;
}

/** A write's condition on a lease: refused (E_CONFLICT) unless this token is current and unexpired. */
export interface LeaseFence {
  readonly name: string;
  readonly token: number;
}

interface LeaseData {
  name: string;
  holder: string | null;
  token: number;
  ttlMs: number;
  acquiredAt: string;
  expiresAt: string;
  /** The latest time recorded on the lease: the floor of "now" for its next decision. */
  seenAt: string;
}

function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== "number" || !Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
    throw new ValidationError(`ttlMs must be an integer from 1 to ${MAX_TTL_MS}, got ${String(ttlMs)}`, {
      details: { issues: ["bad ttlMs"] },
    });
  }
  return ttlMs;
}

function checkHolder(holder: unknown): string {
  if (typeof holder !== "string" || holder.length === 0 || holder.length > 200) {
    throw new ValidationError("a lease holder is a string of 1 to 200 characters", { details: { issues: ["bad holder"] } });
  }
  return holder;
}

function checkToken(token: unknown): number {
  if (typeof token !== "number" || !Number.isSafeInteger(token) || token < 1) {
    throw new ValidationError(`a lease token is a positive integer, got ${String(token)}`, { details: { issues: ["bad token"] } });
  }
  return token;
}

/** Validates a fence given with a write, before anything runs. */
export function checkFence(fence: unknown): LeaseFence {
  const f = fence as Partial<LeaseFence> | null;
  if (typeof f !== "object" || f === null)
    throw new ValidationError("ifLease is { name, token }", { details: { issues: ["bad ifLease"] } });
  validateId(f.name as string, "lease name");
  checkToken(f.token);
  return { name: f.name as string, token: f.token as number };
}

function read(tx: TxContext, name: string): { data: LeaseData; revision: number } | undefined {
  const r = tx.get(LEASES, name);
  return r === undefined ? undefined : { data: r.value as unknown as LeaseData, revision: r.revision };
}

/** The decision time: this commit's clock, never before what the lease already recorded. */
function clock(now: string, data: LeaseData | undefined): number {
  const t = Date.parse(now);
  return data === undefined ? t : Math.max(t, Date.parse(data.seenAt));
}

function isHeld(data: LeaseData, at: number): boolean {
  return data.holder !== null && Date.parse(data.expiresAt) > at;
}

function toLease(data: LeaseData, at: number): Lease {
  return {
    name: data.name,
    holder: data.holder,
    token: data.token,
    acquiredAt: data.acquiredAt,
    expiresAt: data.expiresAt,
    held: isHeld(data, at),
  };
}

function heldBy(name: string, data: LeaseData, what: string): ConflictError {
  return new ConflictError(`lease "${name}" is held by "${data.holder}" (token ${data.token}) until ${data.expiresAt}: ${what}`, {
    details: { lease: name, holder: data.holder, currentToken: data.token, expiresAt: data.expiresAt, collection: LEASES, id: name },
  });
}

function movedOn(name: string, data: LeaseData | undefined, token: number, at: number): ConflictError {
  const current = data?.token ?? 0;
  const why =
    data === undefined
      ? "it was never acquired"
      : data.token !== token
        ? `it has moved on to token ${current}${data.holder === null ? "" : ` (holder "${data.holder}")`}`
        : data.holder === null
          ? "it was released"
          : `it expired at ${data.expiresAt}`;
  return new ConflictError(`lease "${name}" token ${token} is no longer current: ${why}`, {
    details: {
      lease: name,
      token,
      currentToken: current,
      holder: data !== undefined && isHeld(data, at) ? data.holder : null,
      collection: LEASES,
      id: name,
    },
  });
}

/** Inside a write's transaction: refuses it unless the fence's token is the lease's current, unexpired one. */
export function checkLeaseFence(tx: TxContext, fence: LeaseFence, now: string): void {
  const cur = read(tx, fence.name)?.data;
  const at = clock(now, cur);
  if (cur === undefined || cur.token !== fence.token || !isHeld(cur, at)) throw movedOn(fence.name, cur, fence.token, at);
}

/** Wraps a plan so it first checks `fence` in the same transaction. */
export function fenced<T>(plan: Plan<T>, fence: LeaseFence): Plan<T> {
  return (tx, now) => {
    checkLeaseFence(tx, fence, now);
    return plan(tx, now);
  };
}

/** `store.leases`: named leases with fencing tokens. See the module comment for the clock rules. */
export class Leases {
  constructor(private readonly ctx: DomainContext) {}

  /**
   * Takes the lease for `holder`, or E_CONFLICT naming the holder while another holds it. The current
   * holder acquiring again extends it and keeps its token; anyone else gets the next token.
   */
  acquire(name: string, options: LeaseAcquireOptions): Promise<Lease> {
    validateId(name, "lease name");
    const holder = checkHolder(options?.holder);
    const ttlMs = checkTtl(options?.ttlMs);
    return this.ctx.run("lease.acquire", (tx, now) => {
      const cur = read(tx, name)?.data;
      const at = clock(now, cur);
      if (cur !== undefined && isHeld(cur, at) && cur.holder !== holder) throw heldBy(name, cur, "it cannot be acquired");
      const keep = cur !== undefined && isHeld(cur, at) && cur.holder === holder;
      const iso = new Date(at).toISOString();
      const data: LeaseData = {
        name,
        holder,
        token: keep ? cur.token : (cur?.token ?? 0) + 1,
        ttlMs,
        acquiredAt: keep ? cur.acquiredAt : iso,
        expiresAt: new Date(at + ttlMs).toISOString(),
        seenAt: iso,
      };
      tx.put(LEASES, name, data as unknown as JsonObject);
      return toLease(data, at);
    });
  }

  /** Extends the lease by its ttl (or `ttlMs`) from now; E_CONFLICT once the token is no longer current. */
  renew(name: string, options: LeaseRenewOptions): Promise<Lease> {
    validateId(name, "lease name");
    const token = checkToken(options?.token);
    const ttl = options.ttlMs === undefined ? undefined : checkTtl(options.ttlMs);
    return this.ctx.run("lease.renew", (tx, now) => {
      const cur = read(tx, name)?.data;
      const at = clock(now, cur);
      if (cur === undefined || cur.token !== token || !isHeld(cur, at)) throw movedOn(name, cur, token, at);
      const ttlMs = ttl ?? cur.ttlMs;
      const iso = new Date(at).toISOString();
      const data: LeaseData = { ...cur, ttlMs, expiresAt: new Date(at + ttlMs).toISOString(), seenAt: iso };
      tx.put(LEASES, name, data as unknown as JsonObject);
      return toLease(data, at);
    });
  }

  /**
   * Gives the lease up at once, so the next acquire need not wait for the expiry. Resolves false if
   * the token had already expired (nothing to give up); E_CONFLICT if another token is current.
   */
  release(name: string, options: { token: number }): Promise<boolean> {
    validateId(name, "lease name");
    const token = checkToken(options?.token);
    return this.ctx.run("lease.release", (tx, now) => {
      const cur = read(tx, name)?.data;
      const at = clock(now, cur);
      if (cur === undefined || cur.token !== token) throw movedOn(name, cur, token, at);
      if (!isHeld(cur, at)) return false;
      const iso = new Date(at).toISOString();
      tx.put(LEASES, name, { ...cur, holder: null, expiresAt: iso, seenAt: iso } as unknown as JsonObject);
      return true;
    });
  }

  /** The lease as stored, with `held` judged now; undefined if it was never acquired. */
  async get(name: string): Promise<Lease | undefined> {
    validateId(name, "lease name");
    return this.ctx.read("lease.get", async () => {
      const r = await this.ctx.adapter.get(LEASES, name);
      if (r === undefined) return undefined;
      const data = r.value as unknown as LeaseData;
      return toLease(data, clock(new Date().toISOString(), data));
    });
  }

  /** The lease, or E_NOT_FOUND. */
  async require(name: string): Promise<Lease> {
    const l = await this.get(name);
    if (l === undefined) throw new NotFoundError(`lease "${name}" was never acquired`, { details: { lease: name } });
    return l;
  }
}
