import type { BatchOperation } from "@statehouse/core";
import { z } from "zod";
import { type ToolContext, defineTool } from "./define.js";
import { idempotencyKey, jsonValue, paging } from "./schemas.js";

/** config_get, tools_list, batch, changes_since. */
export function registerStoreTools(ctx: ToolContext): void {
  const { store } = ctx;

  defineTool(ctx, "config_get", {
    description: "Read a project's configuration (limits such as maxConcurrentAgents, and anything the project keeps there).",
    input: { project: z.string().describe("The project name.") },
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: (args) => store.config.get(args.project),
  });

  defineTool(ctx, "tools_list", {
    description: "List the tools registered in the store's tools registry (name, description, command, input schema), by name.",
    input: { ...paging(100) },
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (args) => {
      const page = await store.tools.list(args);
      return { tools: page.items, ...(page.cursor !== undefined && { cursor: page.cursor }) };
    },
  });

  defineTool(ctx, "batch", {
    description:
      "Apply several writes atomically, in order: all commit, or none does. Each operation is an object with op and its " +
      "fields: state.set {pointer,value}, state.delete {pointer}, state.merge {patch}, state.patch {operations}, " +
      "state.increment {pointer,by?}, state.replace {value}, state.remove (each with doc or session, and ifRevision), " +
      "session.create, session.update, session.end {id,status?}, agent.spawn {sessionId,role}, agent.update, " +
      "agent.heartbeat {id}, config.set {project,config}, tools.register {tool}, tools.unregister {name}.",
    input: {
      operations: jsonValue(
        'An array of operations, e.g. [{"op":"state.increment","pointer":"/runs"},{"op":"state.set","pointer":"/last","value":"ok"}].',
      ),
      ...idempotencyKey,
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    run: async (args) => ({
      results: await store.batch(
        args.operations as BatchOperation[],
        args.idempotencyKey === undefined ? {} : { idempotencyKey: args.idempotencyKey },
      ),
    }),
  });

  defineTool(ctx, "changes_since", {
    description:
      "What changed in the store after a change sequence number: change sets in order, each with its sequence, time and " +
      "the records written (collection, id, revision). Start with since 0 or the sequence of your last write, then pass " +
      "the returned sequence next time.",
    input: {
      since: z.number().int().min(0).describe("A change sequence number; change sets after it are returned."),
      limit: z.number().int().min(1).max(1000).optional().describe("At most this many change sets (default 100, at most 1,000)."),
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (args) => {
      const limit = args.limit ?? 100;
      const changeSets = await store.changes(args.since, limit);
      const last = changeSets.at(-1)?.sequence;
      // more: a full page, so further change sets may follow; call again with the returned sequence.
      return { changeSets, sequence: last ?? (await store.sequence()), more: changeSets.length === limit };
    },
  });
}
