import { type BatchOperation, ValidationError } from "@statehouse/core";
import type { CommandContext } from "../contract.js";
import { readText } from "../io/files.js";
import { parseJsonInput, readStdin } from "../io/json-input.js";
import { emit, idempotencyKey } from "./common.js";

/** `batch [FILE]`: a JSON array of operations, applied in one transaction. */
export async function batch(ctx: CommandContext): Promise<number | undefined> {
  const file = ctx.args[0];
  const text = file === undefined || file === "-" ? await readStdin() : await readText(file);
  const operations = parseJsonInput(text, file === undefined || file === "-" ? "stdin" : file);
  if (!Array.isArray(operations)) {
    throw new ValidationError('a batch is a JSON array of operations, e.g. [{"op": "state.set", "pointer": "/a", "value": 1}]', {
      details: { issues: ["not an array"] },
    });
  }
  const results = await (await ctx.open()).batch(operations as BatchOperation[], idempotencyKey(ctx) ?? {});
  await emit(ctx, {
    json: () => ({ results }),
    plain: () => results,
    human: () => ctx.out.line(`applied ${results.length} operation${results.length === 1 ? "" : "s"} atomically`),
  });
  return undefined;
}
