import { ConfigError } from "@statehouse/core";
import type { CommandContext } from "../contract.js";

// A variable, so that the bundler leaves it a runtime import: the MCP SDK loads only for this command.
const MCP_PACKAGE = "@statehouse/mcp";

/** `mcp`: serves the store as an MCP server over stdio until the client closes stdin. */
export async function mcp(ctx: CommandContext): Promise<number | undefined> {
  let serveStdio: typeof import("@statehouse/mcp").serveStdio;
  try {
    ({ serveStdio } = (await import(MCP_PACKAGE)) as typeof import("@statehouse/mcp"));
  } catch (err) {
    if ((err as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw err;
    throw new ConfigError(
      `the MCP server is not installed (npm install ${MCP_PACKAGE}): ${String((err as Error).message).split("\n")[0]}`,
      {
        cause: err,
      },
    );
  }
  // stdout carries the protocol alone: nothing else is printed, errors go to stderr.
  await serveStdio({ store: await ctx.openLocal() });
  return undefined;
}
