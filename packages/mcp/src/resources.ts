import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError, type ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { InvalidPathError, type Store } from "@statehouse/core";
import { describe } from "./errors.js";
import { capText } from "./result.js";
import { URI } from "./uris.js";

/** How many entries a resource listing (resources/list) names per template: a menu, not a dump. */
const LISTED = 100;

interface ResourceContext {
  readonly server: McpServer;
  readonly store: Store;
  readonly maxResultBytes: number;
}

/**
 * The store's documents and listings as resources: `statehouse://state/{name}`,
 * `statehouse://sessions/{id}/state`, `statehouse://sessions/{id}`, `statehouse://sessions`,
 * `statehouse://agents`, `statehouse://config/{project}`, `statehouse://tools`. All JSON.
 */
export function registerResources(ctx: ResourceContext): void {
  const { server, store } = ctx;
  const json = "application/json";
  const read = (fn: (uri: URL, vars: Record<string, string | string[]>) => Promise<unknown>) => {
    return async (uri: URL, vars: Record<string, string | string[]> = {}): Promise<ReadResourceResult> => {
      try {
        const value = await fn(uri, vars);
        return { contents: [{ uri: uri.href, mimeType: json, text: capText(JSON.stringify(value), ctx.maxResultBytes) }] };
      } catch (err) {
        // A resource read fails as a protocol error (there is no isError for reads); the code leads its message.
        const e = describe(err);
        throw new McpError(ErrorCode.InvalidParams, `${e.code}: ${e.message}. ${e.hint}`, { code: e.code });
      }
    };
  };
  const fixed = (fn: () => Promise<unknown>) => {
    const r = read(fn);
    return (uri: URL) => r(uri);
  };
  const one = (vars: Record<string, string | string[]>, name: string): string => {
    const v = vars[name];
    if (typeof v !== "string") throw new InvalidPathError(`the resource URI needs one ${name}`, { details: { [name]: v } });
    try {
      return decodeURIComponent(v);
    } catch (err) {
      // A malformed %-escape: the URI names nothing, like any other invalid id.
      throw new InvalidPathError(`the ${name} in the resource URI is not a valid %-encoded string`, { cause: err, details: { [name]: v } });
    }
  };
  const docBody = async (doc: ReturnType<Store["state"]>, name: string) => {
    const { value, revision } = await doc.read();
    return value === undefined ? { document: name, revision, exists: false } : { document: name, revision, value };
  };

  server.registerResource(
    "state-document",
    new ResourceTemplate("statehouse://state/{name}", {
      list: async () => {
        const page = await store.adapter.list("state", { limit: LISTED });
        const names = new Set(["global", ...page.records.map((r) => r.id)]);
        return { resources: [...names].map((n) => ({ uri: URI.state(n), name: `state: ${n}`, mimeType: json })) };
      },
    }),
    { description: "A named shared state document (statehouse://state/global is the default one), with its revision.", mimeType: json },
    read(async (_uri, vars) => {
      const name = one(vars, "name");
      return docBody(store.state(name), name);
    }),
  );

  server.registerResource(
    "session-state",
    new ResourceTemplate("statehouse://sessions/{id}/state", {
      list: async () => {
        const page = await store.sessions.list({ status: "active", limit: LISTED });
        return {
          resources: page.items.map((s) => ({ uri: URI.sessionState(s.id), name: `session state: ${s.name}`, mimeType: json })),
        };
      },
    }),
    { description: "A session's own state document, with its revision.", mimeType: json },
    read(async (_uri, vars) => {
      const id = one(vars, "id");
      return docBody(store.sessionState(id), `session:${id}`);
    }),
  );

  server.registerResource(
    "session",
    new ResourceTemplate("statehouse://sessions/{id}", { list: undefined }),
    { description: "One session: status, project, agent count, metadata, revision.", mimeType: json },
    read(async (_uri, vars) => store.sessions.get(one(vars, "id"))),
  );

  server.registerResource(
    "sessions",
    URI.sessions,
    { description: "The 50 newest sessions, with their status (session_list pages through all of them).", mimeType: json },
    fixed(async () => ({ sessions: (await store.sessions.list({ limit: 50 })).items })),
  );

  server.registerResource(
    "agents",
    URI.agents,
    { description: "The 100 newest agents, with role, status and last heartbeat (agent_list filters and pages).", mimeType: json },
    fixed(async () => ({ agents: (await store.agents.list({ limit: 100, direction: "desc" })).items })),
  );

  server.registerResource(
    "project-config",
    new ResourceTemplate("statehouse://config/{project}", { list: undefined }),
    { description: "A project's configuration, with its revision.", mimeType: json },
    read(async (_uri, vars) => store.config.get(one(vars, "project"))),
  );

  server.registerResource(
    "tools",
    URI.tools,
    { description: "The first 100 registered tools, by name (tools_list pages through all of them).", mimeType: json },
    fixed(async () => ({ tools: (await store.tools.list({ limit: 100 })).items })),
  );
}
