import type {
  Condition,
  DocumentSnapshotApi,
  HistoryEntry,
  HistoryOptions,
  JsonPatchOperation,
  JsonValue,
  QueryNode,
  ReadOptions,
  StateDocumentApi,
  UpdateOptionsApi,
  WriteResult,
} from "@statehouse/core";
import { InvalidQueryError, ValidationError, isStatehouseError } from "@statehouse/core/errors";
import { conditionHeaders, jsonText, qs } from "./encode.js";
import type { Transport } from "./transport.js";

/**
 * A number parameter as it travels: anything but a finite number is refused here with the library's
 * E_VALIDATION (a URL cannot carry NaN); the daemon's library checks the rest (range, integer).
 */
function number(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ValidationError(`${what} must be a positive integer, got ${String(value)}`, { details: { issues: [what] } });
  }
  return value;
}

interface DocAnswer {
  revision: number;
  value?: JsonValue;
  nodes?: QueryNode[];
}

/** A state document over the daemon: the same methods and errors as the library's `StateDocument`. */
export class RemoteDocument implements StateDocumentApi {
  constructor(
    private readonly t: Transport,
    /** `/v1/state/NAME` or `/v1/sessions/ID/state`. */
    private readonly base: string,
    readonly name: string,
  ) {}

  async read(options: ReadOptions = {}): Promise<DocumentSnapshotApi> {
    const a = (await this.t.send("GET", `${this.base}${qs({ revision: number(options.revision, "revision") })}`)).body as DocAnswer;
    return { value: a.value, revision: a.revision };
  }

  async history(options: HistoryOptions = {}): Promise<HistoryEntry[]> {
    const params = {
      limit: number(options.limit, "limit"),
      before: number(options.before, "before"),
      values: options.values === undefined ? undefined : String(options.values === true),
    };
    return ((await this.t.send("GET", `${this.base}/history${qs(params)}`)).body as { entries: HistoryEntry[] }).entries;
  }

  async diff(from: number, to: number): Promise<JsonPatchOperation[]> {
    const params = { from: number(from, "from"), to: number(to, "to") };
    return ((await this.t.send("GET", `${this.base}/diff${qs(params)}`)).body as { operations: JsonPatchOperation[] }).operations;
  }

  async revision(): Promise<number> {
    return (await this.read()).revision;
  }

  async get(query?: string): Promise<JsonValue | undefined> {
    if (query === undefined) return (await this.read()).value;
    if (query.startsWith("$")) return (await this.query(query)).map((n) => n.value);
    if (query === "" || query.startsWith("/")) return this.at(query);
    throw new InvalidQueryError(
      `a query is a JSONPath starting with "$" or a JSON Pointer starting with "/", got ${JSON.stringify(query)}`,
      {
        details: { query },
      },
    );
  }

  async query(expression: string): Promise<readonly QueryNode[]> {
    const path = `${this.base}${qs({ query: expression })}`;
    // A long expression would pass the server's header size limit in a URL: it goes in a body.
    const a =
      path.length <= 4096
        ? await this.t.send("GET", path)
        : await this.t.send("POST", `${this.base}/query`, { body: JSON.stringify({ query: expression }) });
    return (a.body as DocAnswer).nodes ?? [];
  }

  async at(pointer: string): Promise<JsonValue | undefined> {
    return ((await this.t.send("GET", `${this.base}${qs({ pointer })}`)).body as DocAnswer).value;
  }

  async replace(value: JsonValue, condition?: Condition): Promise<WriteResult> {
    return this.write("PUT", this.base, jsonText(value), condition);
  }

  async set(pointer: string, value: JsonValue, condition?: Condition): Promise<WriteResult> {
    return this.write("PUT", `${this.base}${qs({ pointer })}`, jsonText(value), condition);
  }

  async delete(pointer: string, condition?: Condition): Promise<WriteResult> {
    return this.write("DELETE", `${this.base}${qs({ pointer })}`, undefined, condition);
  }

  async merge(patch: JsonValue, condition?: Condition): Promise<WriteResult> {
    return this.write("PATCH", this.base, jsonText(patch, "patch"), condition, "application/merge-patch+json");
  }

  async patch(operations: JsonValue, condition?: Condition): Promise<WriteResult> {
    return this.write("PATCH", this.base, jsonText(operations, "operations"), condition, "application/json-patch+json");
  }

  async increment(pointer: string, by = 1, condition?: Condition): Promise<WriteResult & { value: number }> {
    // A non-finite `by` cannot travel as JSON: sent as null, the daemon's library answers E_VALIDATION as in process.
    const body = JSON.stringify({ pointer, by: Number.isFinite(by) ? by : null });
    return (await this.t.send("POST", `${this.base}/increment`, { body, headers: conditionHeaders(condition) })).body as WriteResult & {
      value: number;
    };
  }

  async remove(condition?: Condition): Promise<boolean> {
    const a = (await this.t.send("DELETE", this.base, { headers: conditionHeaders(condition) })).body as { removed: boolean };
    return a.removed;
  }

  /**
   * Read, compute, write with `If-Match` the revision read; on a conflict (412) re-read and call `fn`
   * again, as the library does. `fn` runs in this process, outside any lock.
   */
  async update(
    fn: (current: JsonValue | undefined) => JsonValue | Promise<JsonValue>,
    options: UpdateOptionsApi = {},
  ): Promise<WriteResult> {
    const maxAttempts = options.maxAttempts ?? 20;
    for (let attempt = 1; ; attempt++) {
      const { value, revision } = await this.read();
      const next = jsonText(await fn(value));
      try {
        return await this.write("PUT", this.base, next, { ifRevision: revision });
      } catch (err) {
        if (!isStatehouseError(err, "E_CONFLICT") || attempt >= maxAttempts) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
      }
    }
  }

  private async write(
    method: string,
    path: string,
    body: string | undefined,
    condition?: Condition,
    contentType?: string,
  ): Promise<WriteResult> {
    const a = await this.t.send(method, path, {
      ...(body !== undefined && { body }),
      ...(contentType !== undefined && { contentType }),
      headers: conditionHeaders(condition),
    });
    return a.body as WriteResult;
  }
}
