import type { Durability } from "@statehouse/core";
import type { SessionFixture } from "./fixtures.js";

/** What a dashboard refresh needs: sessions by status, active agents, recent changes. */
export interface DashboardSnapshot {
  readonly sessionsByStatus: Record<string, number>;
  readonly activeAgents: number;
  readonly recentChanges: number;
}

/**
 * The operations the scenarios measure, behind one interface so the same scenario runs on the
 * domain API (`open(url)`) once core exports it, and on the adapter SPI before that.
 */
export interface BenchStore {
  /** Which layer is measured; recorded in every result. */
  readonly api: "domain" | "spi";
  readonly multiProcess: boolean;
  /** Replaces a whole state document. */
  setDocument(name: string, value: Record<string, unknown>): Promise<void>;
  /** Reads a whole state document. */
  getDocument(name: string): Promise<unknown>;
  /** The simple state query: one value by JSON Pointer (`/project/name`). */
  queryValue(doc: string, pointer: string): Promise<unknown>;
  /** The state update: sets one value by JSON Pointer. */
  setValue(doc: string, pointer: string, value: unknown): Promise<void>;
  /** Atomic increment of a number by JSON Pointer; returns the new value. */
  increment(doc: string, pointer: string): Promise<number>;
  /** The filter query: items of `doc` whose status is `failed`; returns how many matched. */
  filterFailed(doc: string): Promise<number>;
  createSession(s: SessionFixture): Promise<string>;
  /** Creates many sessions, a chunk per transaction, to populate sweeps quickly. */
  createSessions(list: SessionFixture[]): Promise<void>;
  /** First page of sessions (optionally of one status); returns its length. */
  listSessions(limit: number, status?: string): Promise<number>;
  /** Registers an agent of a session, with a status. */
  addAgent(sessionId: string, status: string): Promise<void>;
  setConfig(project: string, value: Record<string, unknown>): Promise<void>;
  /** Project config retrieval, validated against the schema. */
  getConfig(project: string): Promise<unknown>;
  dashboard(): Promise<DashboardSnapshot>;
  /** One atomic batch of `ops.length` state writes. */
  batch(doc: string, ops: { pointer: string; value: unknown }[]): Promise<void>;
  /** Reclaims space where the adapter can (LMDB), before disk usage is measured. */
  compact(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenBenchStoreOptions {
  durability?: Durability | undefined;
  /** Force the adapter SPI even when the domain API exists (used to compare the layers). */
  api?: "domain" | "spi" | undefined;
}
