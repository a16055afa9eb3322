import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { ValidationError } from "@statehouse/core";
import {
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_MAX_TOOL_INPUT_ELEMENTS,
  DEFAULT_POLL_INTERVAL_MS,
  type StatehouseMcpOptions,
} from "./options.js";
import { registerResources } from "./resources.js";
import { SubscriptionWatcher } from "./subscriptions.js";
import type { ToolContext } from "./tools/define.js";
import { registerLeaseTools } from "./tools/leases.js";
import { registerSessionTools } from "./tools/sessions.js";
import { registerStateTools } from "./tools/state.js";
import { registerStoreTools } from "./tools/store.js";
import { VERSION } from "./version.js";

const INSTRUCTIONS =
  "statehouse is the shared state store of this project's agents. Read shared JSON state with state_get and change it " +
  "with state_set, state_merge, state_patch or state_increment (atomic; pass expectedRevision from your read to write " +
  "only if nothing changed). Sessions group the work (session_create, session_list); register yourself with " +
  "agent_spawn and call agent_heartbeat while you work; agent_list shows who else is working. batch applies several " +
  "writes atomically; changes_since tells what changed after a sequence number. To own a piece of work alone, " +
  "lease_acquire it (renew with lease_renew, give it up with lease_release) and pass ifLease on your writes.";

type Validate = (tool: unknown, args: unknown, name: string) => Promise<unknown>;

/**
 * Arguments that do not fit a tool's input schema are refused by the SDK before the tool runs, as a
 * tool error without a statehouse code. Its validation step is wrapped so that the message leads
 * with E_VALIDATION like every other refusal. Should a later SDK rename the step, the wrap is
 * skipped and the SDK's own message (still a tool error) is what the client sees.
 */
function codeSchemaErrors(server: McpServer): void {
  const target = server as unknown as { validateToolInput?: Validate };
  const original = target.validateToolInput;
  if (typeof original !== "function") return;
  target.validateToolInput = async function (this: unknown, tool, args, name) {
    try {
      return await original.call(this, tool, args, name);
    } catch (err) {
      if (err instanceof McpError && err.code === ErrorCode.InvalidParams) {
        const detail = err.message.replace(/^MCP error -?\d+: /, "");
        // The SDK turns what this throws into the tool error's text: the code leads, as in every other tool error.
        throw new ValidationError(`E_VALIDATION: ${detail}. Call ${name} again with arguments that match its input schema.`, {
          details: { issues: [detail] },
        });
      }
      throw err;
    }
  };
}

/**
 * An MCP server over a statehouse store: the tools and resources, not yet connected. Connect it to
 * one transport (`server.connect(transport)`); closing the server stops its subscription polling.
 * The store stays the caller's to close.
 */
export function createMcpServer(options: StatehouseMcpOptions): McpServer {
  const server = new McpServer(options.serverInfo ?? { name: "statehouse", version: VERSION }, {
    instructions: INSTRUCTIONS,
    // Logging: failed change polls are reported to the client as warnings.
    capabilities: { logging: {} },
    maxToolInputElements: options.maxToolInputElements ?? DEFAULT_MAX_TOOL_INPUT_ELEMENTS,
  });
  codeSchemaErrors(server);
  const ctx: ToolContext = { server, store: options.store, maxResultBytes: options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES };
  registerStateTools(ctx);
  registerSessionTools(ctx);
  registerStoreTools(ctx);
  registerLeaseTools(ctx);
  registerResources(ctx);
  const watcher = new SubscriptionWatcher(server, options.store, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, (err) => {
    // A failed poll is retried on the next tick; the client hears of it as a log line, not a crash.
    void server
      .sendLoggingMessage({ level: "warning", data: `statehouse: change polling failed: ${(err as Error)?.message ?? String(err)}` })
      .catch(() => {});
  });
  watcher.install();
  const previous = server.server.onclose;
  server.server.onclose = () => {
    watcher.close();
    previous?.();
  };
  return server;
}
