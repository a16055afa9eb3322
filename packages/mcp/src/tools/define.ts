import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { Store } from "@statehouse/core";
import type { z } from "zod";
import { errorResult } from "../errors.js";
import { jsonResult } from "../result.js";

/** What every tool module gets. */
export interface ToolContext {
  readonly server: McpServer;
  readonly store: Store;
  readonly maxResultBytes: number;
}

export interface ToolDefinition<Shape extends z.ZodRawShape> {
  readonly description: string;
  readonly input: Shape;
  readonly annotations: ToolAnnotations;
  /** Returns the result object (serialised as JSON); throws a StatehouseError for a tool error. */
  readonly run: (args: z.infer<z.ZodObject<Shape>>) => Promise<unknown>;
}

/**
 * Registers one tool: its zod input schema (listed as JSON Schema, checked by the SDK), and a
 * handler whose every throw becomes a tool error with the statehouse code, never a protocol error.
 */
export function defineTool<Shape extends z.ZodRawShape>(ctx: ToolContext, name: string, def: ToolDefinition<Shape>): void {
  const handler = async (args: z.infer<z.ZodObject<Shape>>) => {
    try {
      return jsonResult(await def.run(args), ctx.maxResultBytes);
    } catch (err) {
      return errorResult(err);
    }
  };
  ctx.server.registerTool(name, { description: def.description, inputSchema: def.input, annotations: def.annotations }, handler as never);
}
