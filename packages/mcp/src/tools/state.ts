import { type JsonValue, NotFoundError, compileQuery, getAt, InvalidQueryError } from "@statehouse/core";
import { z } from "zod";
import { type ToolContext, defineTool } from "./define.js";
import { condition, expectedRevision, idempotencyKey, ifLease, jsonValue, target, targetDoc } from "./schemas.js";

/** state_get, state_set, state_patch, state_merge, state_increment. */
export function registerStateTools(ctx: ToolContext): void {
  const { store } = ctx;

  defineTool(ctx, "state_get", {
    description:
      "Read shared JSON state: the global document, a named document (doc) or a session's own document (session). " +
      "query: none for the whole document, a JSON Pointer like /tasks/0/title for one value, or a JSONPath like " +
      "$.tasks[?@.done == false].title for every match. Returns the value with the document's revision; pass that " +
      "revision as expectedRevision to a write to make it conditional on nothing having changed.",
    input: {
      ...target,
      query: z.string().optional().describe("A JSON Pointer (/a/b) or a JSONPath ($.a[*].b). Omit for the whole document."),
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (args) => {
      const { doc, name } = targetDoc(store, args);
      // One read, so that the value and the revision returned belong together.
      const { value, revision } = await doc.read();
      const q = args.query;
      if (q === undefined) {
        return value === undefined ? { document: name, revision, exists: false } : { document: name, revision, value };
      }
      if (q.startsWith("$")) {
        const nodes = value === undefined ? [] : compileQuery(q).run(value);
        return { document: name, revision, query: q, values: nodes.map((n) => n.value), pointers: nodes.map((n) => n.pointer) };
      }
      if (q !== "" && !q.startsWith("/")) {
        throw new InvalidQueryError(
          `a query is a JSONPath starting with "$" or a JSON Pointer starting with "/", got ${JSON.stringify(q)}`,
          {
            details: { query: q },
          },
        );
      }
      const at = value === undefined ? undefined : getAt(value, q);
      if (at === undefined) {
        throw new NotFoundError(`nothing at ${JSON.stringify(q)} in state document "${name}" (revision ${revision})`, {
          details: { document: name, pointer: q, revision },
        });
      }
      return { document: name, revision, pointer: q, value: at };
    },
  });

  defineTool(ctx, "state_set", {
    description:
      "Set one value in a state document at a JSON Pointer (missing parent objects are created), atomically. " +
      "Give expectedRevision (from state_get) to write only if nobody changed the document since you read it.",
    input: {
      ...target,
      pointer: z.string().describe('Where to set, a JSON Pointer: "/phase", "/tasks/0/done", "/tags/-" appends to an array.'),
      value: jsonValue("The new value, any JSON."),
      ...expectedRevision,
      ...ifLease,
      ...idempotencyKey,
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: async (args) => {
      const { doc, name } = targetDoc(store, args);
      const r = await doc.set(args.pointer, args.value as JsonValue, condition(args.expectedRevision, args.ifLease, args.idempotencyKey));
      return { document: name, revision: r.revision, sequence: r.sequence };
    },
  });

  defineTool(ctx, "state_patch", {
    description:
      "Apply a JSON Patch (RFC 6902) to a state document: add, remove, replace, move, copy and test operations, all or " +
      "none. Use it to remove a value ({op:'remove', path:'/draft'}) or to change several places at once.",
    input: {
      ...target,
      operations: jsonValue(
        'An array of RFC 6902 operations, e.g. [{"op":"remove","path":"/draft"},{"op":"add","path":"/tags/-","value":"x"}].',
      ),
      ...expectedRevision,
      ...ifLease,
      ...idempotencyKey,
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    run: async (args) => {
      const { doc, name } = targetDoc(store, args);
      const r = await doc.patch(args.operations as JsonValue, condition(args.expectedRevision, args.ifLease, args.idempotencyKey));
      return { document: name, revision: r.revision, sequence: r.sequence };
    },
  });

  defineTool(ctx, "state_merge", {
    description:
      "Merge an object into a state document (JSON Merge Patch, RFC 7396): its keys replace the document's, nested " +
      "objects merge, and a null deletes that key. The simplest way to update several fields at once.",
    input: {
      ...target,
      patch: jsonValue('The object to merge, e.g. {"phase":"review","draft":null}.'),
      ...expectedRevision,
      ...ifLease,
      ...idempotencyKey,
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    run: async (args) => {
      const { doc, name } = targetDoc(store, args);
      const r = await doc.merge(args.patch as JsonValue, condition(args.expectedRevision, args.ifLease, args.idempotencyKey));
      return { document: name, revision: r.revision, sequence: r.sequence };
    },
  });

  defineTool(ctx, "state_increment", {
    description:
      "Atomically add a number to the number at a JSON Pointer (a missing value counts as 0) and return the new value. " +
      "Safe with any number of concurrent agents: no increment is ever lost. Use it for counters and budgets.",
    input: {
      ...target,
      pointer: z.string().describe('The number to change, a JSON Pointer like "/toolCalls".'),
      by: z.number().optional().describe("How much to add (default 1; negative to subtract)."),
      ...expectedRevision,
      ...ifLease,
      ...idempotencyKey,
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    run: async (args) => {
      const { doc, name } = targetDoc(store, args);
      const r = await doc.increment(args.pointer, args.by ?? 1, condition(args.expectedRevision, args.ifLease, args.idempotencyKey));
      return { document: name, value: r.value, revision: r.revision, sequence: r.sequence };
    },
  });
}
