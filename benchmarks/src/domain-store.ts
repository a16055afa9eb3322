import * as core from "@statehouse/core";
import { ConfigError, ValidationError } from "@statehouse/core";
import type { BenchStore, DashboardSnapshot, OpenBenchStoreOptions } from "./bench-store.js";
import type { SessionFixture } from "./fixtures.js";

type Json = unknown;

// The slice of the domain API the scenarios call, declared structurally so the harness builds
// against a core that does not export `open` yet (it then measures through the SPI instead).
interface DomainDocument {
  get(query?: string): Promise<Json>;
  replace(value: Json): Promise<unknown>;
  set(pointer: string, value: Json): Promise<unknown>;
  increment(pointer: string, by?: number): Promise<{ value: number }>;
}
interface DomainStoreLike {
  readonly adapter: { readonly capabilities: { readonly multiProcess: boolean }; compact?(): Promise<void> };
  state(name?: string): DomainDocument;
  sessions: {
    create(options: { id?: string; name?: string; project?: string; metadata?: Json }): Promise<{ id: string }>;
    list(options: { status?: string; limit?: number }): Promise<{ items: unknown[] }>;
  };
  agents: { spawn(sessionId: string, options: { role: string; status?: string }): Promise<unknown> };
  config: {
    get(project: string): Promise<{ config: Json }>;
    set(project: string, config: Json): Promise<unknown>;
    validate(config: Json): Promise<string[]>;
  };
  batch(operations: Json[]): Promise<unknown[]>;
  snapshot(): Promise<{ sessionsByStatus: Record<string, number>; activeAgents: readonly unknown[]; recentChanges: readonly unknown[] }>;
  close(): Promise<void>;
}
type OpenFn = (url: string, options?: { durability?: string }) => Promise<DomainStoreLike>;

const CHUNK = 500;

/** The scenarios' operations through the domain API: what a library user calls. */
export class DomainStore implements BenchStore {
  readonly api = "domain" as const;
  private seq = 0;

  private constructor(private readonly store: DomainStoreLike) {}

  static async open(url: string, options: OpenBenchStoreOptions = {}): Promise<DomainStore> {
    const open = (core as unknown as { open?: OpenFn }).open;
    if (typeof open !== "function") throw new ConfigError("@statehouse/core does not export open() yet");
    return new DomainStore(await open(url, options.durability === undefined ? {} : { durability: options.durability }));
  }

  get multiProcess(): boolean {
    return this.store.adapter.capabilities.multiProcess;
  }

  async setDocument(name: string, value: Record<string, unknown>): Promise<void> {
    await this.store.state(name).replace(value);
  }

  getDocument(name: string): Promise<unknown> {
    return this.store.state(name).get();
  }

  queryValue(doc: string, pointer: string): Promise<unknown> {
    return this.store.state(doc).get(pointer);
  }

  async setValue(doc: string, pointer: string, value: unknown): Promise<void> {
    await this.store.state(doc).set(pointer, value);
  }

  async increment(doc: string, pointer: string): Promise<number> {
    return (await this.store.state(doc).increment(pointer)).value;
  }

  async filterFailed(doc: string): Promise<number> {
    return ((await this.store.state(doc).get("$.items[?@.status == 'failed']")) as unknown[]).length;
  }

  async createSession(s: SessionFixture): Promise<string> {
    return (await this.store.sessions.create({ name: s.name, project: s.project, metadata: s.metadata })).id;
  }

  async createSessions(list: SessionFixture[]): Promise<void> {
    const prefix = `bench-${process.pid.toString(36)}-${Date.now().toString(36)}`;
    for (let i = 0; i < list.length; i += CHUNK) {
      const ops: Json[] = [];
      for (const [j, s] of list.slice(i, i + CHUNK).entries()) {
        const id = `${prefix}-${(this.seq++).toString(36)}-${i + j}`;
        ops.push({ op: "session.create", id, name: s.name, project: s.project, metadata: s.metadata });
        if (s.status !== "active") ops.push({ op: "session.end", id, status: s.status });
      }
      await this.store.batch(ops);
    }
  }

  async listSessions(limit: number, status?: string): Promise<number> {
    return (await this.store.sessions.list(status === undefined ? { limit } : { limit, status })).items.length;
  }

  async addAgent(sessionId: string, status: string): Promise<void> {
    await this.store.agents.spawn(sessionId, { role: "worker", status });
  }

  async setConfig(project: string, value: Record<string, unknown>): Promise<void> {
    await this.store.config.set(project, value);
  }

  // The v2 report's config retrieval validated what it read (Pydantic); so does this one.
  async getConfig(project: string): Promise<unknown> {
    const { config } = await this.store.config.get(project);
    const problems = await this.store.config.validate(config);
    if (problems.length > 0) throw new ValidationError(`project config is invalid: ${problems.join("; ")}`);
    return config;
  }

  async dashboard(): Promise<DashboardSnapshot> {
    const s = await this.store.snapshot();
    return { sessionsByStatus: { ...s.sessionsByStatus }, activeAgents: s.activeAgents.length, recentChanges: s.recentChanges.length };
  }

  async batch(doc: string, ops: { pointer: string; value: unknown }[]): Promise<void> {
    await this.store.batch(ops.map((o) => ({ op: "state.set", doc, pointer: o.pointer, value: o.value })));
  }

  async compact(): Promise<void> {
    await this.store.adapter.compact?.();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
