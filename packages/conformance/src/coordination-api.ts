import type { ChangeEntry } from "@statehouse/core";
import { type Agent, type DomainStore, type DomainStoreOptions, loadOpen } from "./domain-api.js";

/**
 * The coordination slice of core's domain API (issue 14) the coordination clauses drive: looked up
 * at run time like the rest of the domain API, by what the store has (a `watch` function, a `leases`
 * object), never by its class: core's in-process `Store` and a remote target's client (the daemon's
 * `RemoteStore`) both pass when they implement it, and a store without it says so.
 */
export type WatchEvent =
  | { readonly type: "changes"; readonly sequence: number; readonly at: string; readonly changes: readonly ChangeEntry[] }
  | { readonly type: "reset"; readonly since: number; readonly oldest: number; readonly sequence: number };

export interface WatchOptions {
  collections?: readonly string[];
  session?: string;
  since?: number;
  signal?: AbortSignal;
  pollMs?: number;
}

export interface CoordinationStore extends DomainStore {
  watch(options?: WatchOptions): AsyncIterable<WatchEvent>;
  readonly agents: DomainStore["agents"] & {
    reap(options?: { sessionId?: string; now?: string | number }): Promise<Array<Agent & { stale?: boolean }>>;
  };
  snapshot(): Promise<{ activeAgents: ReadonlyArray<Agent & { stale?: boolean }> }>;
  readonly leases: {
    acquire(name: string, options: { holder: string; ttlMs: number }): Promise<Lease>;
    renew(name: string, options: { token: number; ttlMs?: number }): Promise<Lease>;
    release(name: string, options: { token: number }): Promise<boolean>;
    get(name: string): Promise<Lease | undefined>;
  };
}

export interface Lease {
  readonly name: string;
  readonly holder: string | null;
  readonly token: number;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  readonly held: boolean;
}

/** A write condition on a lease, as the coordination API accepts it on every write. */
export interface LeaseCondition {
  ifLease: { name: string; token: number };
}

/** Says why the store has no leases, or undefined. */
export function lacksLeases(store: DomainStore): string | undefined {
  return typeof (store as Partial<CoordinationStore>).leases?.acquire === "function"
    ? undefined
    : "this store (core's Store or a remote client) has no leases";
}

/** Opens a store through core's `open`, as one with the coordination API. */
export async function openCoordination(url: string, options?: DomainStoreOptions): Promise<CoordinationStore> {
  const open = await loadOpen();
  if (open === undefined) throw new Error("@statehouse/core does not export open()");
  return (await open(url, options)) as CoordinationStore;
}

/** Says why the store has no agent rules (`agents.reap`), or undefined. */
export function lacksAgentRules(store: DomainStore): string | undefined {
  return typeof (store.agents as Partial<CoordinationStore["agents"]>).reap === "function"
    ? undefined
    : "this @statehouse/core has no agents.reap()";
}

/** Says why the store has no `watch`, or undefined. */
export function lacksWatch(store: DomainStore): string | undefined {
  return typeof (store as Partial<CoordinationStore>).watch === "function"
    ? undefined
    : "this store (core's Store or a remote client) has no watch()";
}
