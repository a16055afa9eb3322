import type { JsonValue } from "@statehouse/core";
import type { CoordinationStore } from "../coordination-api.js";
import { openJobStore } from "./domain-roles.js";
import { errorKind } from "../util/errors.js";
import type { Role } from "./spi-roles.js";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * lease race: `rounds` times, acquire the lease (retrying while another holds it), append two
 * fenced entries `[holder, token]` to the shared log, then release. The store's log then shows
 * whether two holders ever wrote under the lease at once.
 */
const leaseRacer: Role = async (job, io) => {
  const store = (await openJobStore(job)) as CoordinationStore;
  const holder = `p${job.params.racer as number}`;
  io.emit({ t: "ready" });
  await io.waitFor("go");
  const tokens: number[] = [];
  const errors: string[] = [];
  let refused = 0;
  for (let round = 0; round < (job.params.rounds as number); round++) {
    let token: number | undefined;
    while (token === undefined) {
      // Look before taking the write lock, as a well-behaved waiter does: 19 processes spinning on
      // acquire() would starve the holder's own writes of the lock.
      const seen = await store.leases.get("race");
      if (seen?.held === true) {
        await pause(25 + Math.random() * 50);
        continue;
      }
      try {
        token = (await store.leases.acquire("race", { holder, ttlMs: 30_000 })).token;
      } catch (err) {
        if (errorKind(err) !== "E_CONFLICT") {
          errors.push(errorKind(err));
          break;
        }
        refused++;
        await pause(25 + Math.random() * 50);
      }
    }
    if (token === undefined) break;
    tokens.push(token);
    try {
      for (let i = 0; i < 2; i++) {
        const entry = [holder, token] as JsonValue;
        await store.state("race-log").patch([{ op: "add", path: "/log/-", value: entry }], { ifLease: { name: "race", token } } as never);
      }
    } catch (err) {
      errors.push(errorKind(err));
    } finally {
      await store.leases.release("race", { token }).catch((err: unknown) => errors.push(`release: ${errorKind(err)}`));
    }
  }
  await store.close();
  return { tokens, errors, refused };
};

/**
 * stopped holder: acquires the lease with a short ttl, reports its token, then waits for "write"
 * (the parent SIGSTOPs it meanwhile) and tries a fenced write with that token.
 */
const leaseHolder: Role = async (job, io) => {
  const store = (await openJobStore(job)) as CoordinationStore;
  const lease = await store.leases.acquire("job", { holder: "first", ttlMs: job.params.ttlMs as number });
  io.emit({ t: "held", token: lease.token });
  await io.waitFor("write");
  let outcome = "written";
  let currentToken: unknown;
  try {
    await store.state("work").set("/owner", "first", { ifLease: { name: "job", token: lease.token } } as never);
  } catch (err) {
    outcome = errorKind(err);
    currentToken = (err as { details?: { currentToken?: unknown } }).details?.currentToken;
  }
  await store.close();
  return { outcome, currentToken: currentToken ?? null };
};

export const LEASE_ROLES: Record<string, Role> = {
  "lease-racer": leaseRacer,
  "lease-holder": leaseHolder,
};
