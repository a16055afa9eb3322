export { createMcpServer } from "./server.js";
export { serveStdio, type ServeStdioOptions } from "./stdio.js";
export { createMcpHttpHandler, type McpHttpHandler, type McpHttpHandlerOptions } from "./http.js";
export {
  type StatehouseMcpOptions,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_MAX_TOOL_INPUT_ELEMENTS,
} from "./options.js";
export { URI } from "./uris.js";
