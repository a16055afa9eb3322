import { ValidationError, type JsonValue, type StorageAdapter, type TxContext } from "@statehouse/core";
import { openAdapterUrl } from "@statehouse/core/spi";
import type { BenchStore, DashboardSnapshot, OpenBenchStoreOptions } from "./bench-store.js";
import { SESSION_STATUSES, type SessionFixture } from "./fixtures.js";

const STATE = "state";
const SESSIONS = "sessions";
const AGENTS = "agents";
const CONFIG = "config";
const CHUNK = 500;

type Obj = Record<string, unknown>;

function segments(pointer: string): string[] {
  return pointer === ""
    ? []
    : pointer
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function getAt(value: unknown, pointer: string): unknown {
  let cur = value;
  for (const s of segments(pointer)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = Object.hasOwn(cur, s) ? (cur as Obj)[s] : undefined;
  }
  return cur;
}

// Records are deep-frozen: copy only the objects on the path that changes.
function setAt(value: unknown, pointer: string, next: unknown): unknown {
  const segs = segments(pointer);
  const root: Obj = { ...((value ?? {}) as Obj) };
  let cur = root;
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i]!;
    const child = { ...((cur[s] ?? {}) as Obj) };
    cur[s] = child;
    cur = child;
  }
  cur[segs[segs.length - 1]!] = next;
  return root;
}

function validateConfig(value: unknown): void {
  const v = value as Obj | undefined;
  if (v === undefined || typeof v !== "object" || typeof v.name !== "string" || typeof v.version !== "number") {
    throw new ValidationError("project config must have a string name and a numeric version");
  }
  if (v.tools !== undefined && (!Array.isArray(v.tools) || v.tools.some((t) => typeof t !== "string"))) {
    throw new ValidationError("project config tools must be a list of names");
  }
}

/**
 * The scenarios' operations on the raw adapter SPI: the layer the domain API is built on, used
 * while core does not export `open` yet (and to compare the two layers).
 */
export class SpiStore implements BenchStore {
  readonly api = "spi" as const;
  private seq = 0;

  private constructor(private readonly adapter: StorageAdapter) {}

  static async open(url: string, options: OpenBenchStoreOptions = {}): Promise<SpiStore> {
    const adapter = await openAdapterUrl(url, options.durability === undefined ? {} : { durability: options.durability });
    return new SpiStore(adapter);
  }

  get multiProcess(): boolean {
    return this.adapter.capabilities.multiProcess;
  }

  async setDocument(name: string, value: Obj): Promise<void> {
    await this.adapter.transact((tx) => tx.put(STATE, name, value as JsonValue));
  }

  async getDocument(name: string): Promise<unknown> {
    return (await this.adapter.get(STATE, name))?.value;
  }

  async queryValue(doc: string, pointer: string): Promise<unknown> {
    return getAt((await this.adapter.get(STATE, doc))?.value, pointer);
  }

  async setValue(doc: string, pointer: string, value: unknown): Promise<void> {
    await this.adapter.transact((tx) => {
      tx.put(STATE, doc, setAt(tx.get(STATE, doc)?.value, pointer, value) as JsonValue);
    });
  }

  async increment(doc: string, pointer: string): Promise<number> {
    const { result } = await this.adapter.transact((tx) => {
      const cur = getAt(tx.get(STATE, doc)?.value, pointer);
      const next = (typeof cur === "number" ? cur : 0) + 1;
      tx.put(STATE, doc, setAt(tx.get(STATE, doc)?.value, pointer, next) as JsonValue);
      return next;
    });
    return result;
  }

  async filterFailed(doc: string): Promise<number> {
    const items = getAt((await this.adapter.get(STATE, doc))?.value, "/items") as { status: string }[] | undefined;
    return (items ?? []).filter((x) => x.status === "failed").length;
  }

  private putSession(tx: TxContext, s: SessionFixture): string {
    const now = new Date().toISOString();
    const id = `s-${process.pid.toString(36)}-${(this.seq++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const value = { id, ...s, createdAt: now, updatedAt: now, endedAt: null };
    tx.put(SESSIONS, id, value as JsonValue, { ifAbsent: true, index: { status: `${s.status}\u0000${now}`, created: now } });
    return id;
  }

  async createSession(s: SessionFixture): Promise<string> {
    return (await this.adapter.transact((tx) => this.putSession(tx, s))).result;
  }

  async createSessions(list: SessionFixture[]): Promise<void> {
    for (let i = 0; i < list.length; i += CHUNK) {
      const chunk = list.slice(i, i + CHUNK);
      await this.adapter.transact((tx) => {
        for (const s of chunk) this.putSession(tx, s);
      });
    }
  }

  async listSessions(limit: number, status?: string): Promise<number> {
    const page =
      status === undefined
        ? await this.adapter.list(SESSIONS, { index: "created", limit, reverse: true })
        : await this.adapter.list(SESSIONS, { index: "status", prefix: `${status}\u0000`, limit, reverse: true });
    return page.records.length;
  }

  async addAgent(sessionId: string, status: string): Promise<void> {
    const id = `a-${(this.seq++).toString(36)}`;
    await this.adapter.transact((tx) =>
      tx.put(AGENTS, id, { id, sessionId, role: "worker", status, pid: 1 } as JsonValue, { index: { status } }),
    );
  }

  async setConfig(project: string, value: Obj): Promise<void> {
    validateConfig(value);
    await this.adapter.transact((tx) => tx.put(CONFIG, project, value as JsonValue));
  }

  async getConfig(project: string): Promise<unknown> {
    const v = (await this.adapter.get(CONFIG, project))?.value;
    validateConfig(v);
    return v;
  }

  async dashboard(): Promise<DashboardSnapshot> {
    const sessionsByStatus: Record<string, number> = {};
    for (const s of SESSION_STATUSES) sessionsByStatus[s] = await this.adapter.count(SESSIONS, { index: "status", prefix: `${s}\u0000` });
    const agents = await this.adapter.list(AGENTS, { index: "status", prefix: "running", limit: 100 });
    const seq = await this.adapter.sequence();
    const changes = await this.adapter.changes(Math.max(0, seq - 20), 20);
    return { sessionsByStatus, activeAgents: agents.records.length, recentChanges: changes.length };
  }

  async batch(doc: string, ops: { pointer: string; value: unknown }[]): Promise<void> {
    await this.adapter.transact((tx) => {
      let value = tx.get(STATE, doc)?.value as unknown;
      for (const op of ops) value = setAt(value, op.pointer, op.value);
      tx.put(STATE, doc, value as JsonValue);
    });
  }

  async compact(): Promise<void> {
    await this.adapter.compact?.();
  }

  async close(): Promise<void> {
    await this.adapter.close();
  }
}
