import type {
  BatchOperation,
  BatchOptions,
  ChangeSet,
  DocumentInfo,
  ListOptionsBasic,
  Page,
  DashboardSnapshotApi,
  SnapshotOptionsApi,
  StateDocumentApi,
  StoreApi,
  WatchEvent,
  WatchOptions,
} from "@statehouse/core";
import { ClosedError, isStatehouseError } from "@statehouse/core/errors";
import { checkWatchOptions } from "@statehouse/core/validation";
import { conditionHeaders, jsonText, qs, seg } from "./encode.js";
import { RemoteDocument } from "./remote-document.js";
import { RemoteLeases } from "./remote-leases.js";
import { RemoteAgents, RemoteConfigs, RemoteSessions, RemoteTools } from "./remote-records.js";
import { type ClientOptions, Transport } from "./transport.js";
import { remoteWatch } from "./remote-watch.js";

/** A batch as JSON text; a non-JSON value is refused naming its operation, as the library does. */
function batchText(operations: readonly BatchOperation[]): string {
  if (!Array.isArray(operations)) return jsonText(operations, "batch");
  const parts = operations.map((o, i) => {
    try {
      return jsonText(o, "batch operation");
    } catch (err) {
      if (isStatehouseError(err) && err.details.operation === undefined) {
        (err.details as Record<string, unknown>).operation = i;
        err.message = `batch operation ${i} (${String((o as { op?: unknown } | null)?.op)}): ${err.message}`;
      }
      throw err;
    }
  });
  return `[${parts.join(",")}]`;
}

/** The store over the daemon: the library's `StoreApi`, every call one HTTP request. */
export class RemoteStore implements StoreApi {
  readonly sessions: RemoteSessions;
  readonly agents: RemoteAgents;
  readonly config: RemoteConfigs;
  readonly tools: RemoteTools;
  readonly leases: RemoteLeases;
  private readonly t: Transport;
  private readonly watchReconnectMs: number;

  constructor(url: string, options: ClientOptions = {}) {
    this.t = new Transport(url, options);
    this.sessions = new RemoteSessions(this.t);
    this.agents = new RemoteAgents(this.t);
    this.config = new RemoteConfigs(this.t);
    this.tools = new RemoteTools(this.t);
    this.leases = new RemoteLeases(this.t);
    this.watchReconnectMs = options.watchReconnectMs ?? 30_000;
  }

  /** The daemon's URL. */
  get url(): string {
    return this.t.url;
  }

  state(name = "global"): StateDocumentApi {
    return new RemoteDocument(this.t, `/v1/state/${seg(name, "document name")}`, name);
  }

  sessionState(sessionId: string): StateDocumentApi {
    return new RemoteDocument(this.t, `/v1/sessions/${seg(sessionId, "session id")}/state`, sessionId);
  }

  async batch(operations: readonly BatchOperation[], options: BatchOptions = {}): Promise<unknown[]> {
    const headers = conditionHeaders({ idempotencyKey: options.idempotencyKey });
    return ((await this.t.send("POST", "/v1/batch", { body: batchText(operations), headers })).body as { results: unknown[] }).results;
  }

  async documents(options: ListOptionsBasic = {}): Promise<Page<DocumentInfo>> {
    return (await this.t.send("GET", `/v1/state${qs({ limit: options.limit, cursor: options.cursor })}`)).body as Page<DocumentInfo>;
  }

  async changes(since: number, limit?: number): Promise<ChangeSet[]> {
    return ((await this.t.send("GET", `/v1/changes${qs({ since, limit })}`)).body as { changes: ChangeSet[] }).changes;
  }

  async sequence(): Promise<number> {
    return ((await this.t.send("GET", "/v1/sequence")).body as { sequence: number }).sequence;
  }

  async snapshot(options: SnapshotOptionsApi = {}): Promise<DashboardSnapshotApi> {
    return (await this.t.send("GET", `/v1/snapshot${qs({ recentChanges: options.recentChanges, activeAgents: options.activeAgents })}`))
      .body as DashboardSnapshotApi;
  }

  /**
   * Committed change sets from every process, in order, each once, over the daemon's event stream
   * (see `StoreApi.watch`); resumed after a dropped connection without gap or duplicate. `pollMs`,
   * `idlePollMs` and `batchSize` are checked but the daemon's own polling applies.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent, void, undefined> {
    if (this.t.closed) throw new ClosedError("the store is closed");
    checkWatchOptions(options);
    return remoteWatch(this.t, options, { reconnectMs: this.watchReconnectMs });
  }

  /** `GET /v1/health`: the daemon's status, version, pid and store URL. */
  async health(): Promise<{ status: string; version: string; pid: number; store: string }> {
    return (await this.t.send("GET", "/v1/health")).body as { status: string; version: string; pid: number; store: string };
  }

  /** Closes the connections; the daemon and its store keep running. Idempotent. */
  async close(): Promise<void> {
    this.t.close();
  }

  get isClosed(): boolean {
    return this.t.closed;
  }
}
