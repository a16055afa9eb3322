import { type Condition, type Store, type StateDocument, ValidationError } from "@statehouse/core";
import { z } from "zod";

/** Which state document a state tool works on. */
export const target = {
  doc: z.string().optional().describe('A named state document shared by everyone (default "global"). Omit when you give session.'),
  session: z.string().optional().describe("A session id: work on that session's own state document instead of a named one."),
};

export const expectedRevision = {
  expectedRevision: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      "Write only if the record's revision is still this one (from your last read); 0 = only if it does not exist yet. " +
        "On a mismatch nothing is written and the error gives the current revision.",
    ),
};

/** A state write's fence: refused unless this lease token is still current (see lease_acquire). */
export const ifLease = {
  ifLease: z
    .object({ name: z.string(), token: z.number().int().min(1) })
    .optional()
    .describe(
      "Write only while you still hold this lease: {name, token} from lease_acquire. If the lease expired or another " +
        "holder took it, nothing is written and the error says so.",
    ),
};

/**
 * A write's idempotency key, passed to the library: a retried call with the same key returns the first
 * result and changes nothing; the same key with different arguments is refused (E_CONFLICT). Only a
 * string here: the library checks the rest (1 to 255 printable ASCII characters), so a bad key is a
 * tool error with its code, like any other refusal.
 */
export const idempotencyKey = {
  idempotencyKey: z
    .string()
    .optional()
    .describe(
      "A key of your choosing (1 to 255 printable ASCII characters) that makes this write safe to retry: calling again " +
        "with the same key and arguments returns the first result and applies nothing twice (within 24 h by default); " +
        "the same key with other arguments is refused with E_CONFLICT. Use a new key for each distinct write.",
    ),
};

/** Any JSON value; checked by the store (plain JSON, depth and size limits), not by the schema. */
export const jsonValue = (what: string) => z.unknown().describe(what);

/** An optional JSON value (zod 4 makes `unknown` keys required unless marked optional). */
export const optionalJson = (what: string) => z.unknown().optional().describe(what);

/** A listing's limit and cursor; the default is core's for that listing. */
export const paging = (defaultLimit: number) => ({
  limit: z.number().int().optional().describe(`At most this many items (default ${defaultLimit}, at most 10,000).`),
  cursor: z.string().optional().describe("The cursor returned with the previous page, to continue after it."),
});

export function condition(expected: number | undefined, lease?: { name: string; token: number }, key?: string): Condition | undefined {
  if (expected === undefined && lease === undefined && key === undefined) return undefined;
  return {
    ...(expected !== undefined && { ifRevision: expected }),
    ...(lease !== undefined && { ifLease: lease }),
    ...(key !== undefined && { idempotencyKey: key }),
  };
}

/** The target document and the name results report: `global`, a named one, or `session:<id>`. */
export function targetDoc(
  store: Store,
  args: { doc?: string | undefined; session?: string | undefined },
): { doc: StateDocument; name: string } {
  if (args.doc !== undefined && args.session !== undefined) {
    throw new ValidationError("give doc or session, not both", { details: { issues: ["doc and session"] } });
  }
  if (args.session !== undefined) return { doc: store.sessionState(args.session), name: `session:${args.session}` };
  const name = args.doc ?? "global";
  return { doc: store.state(name), name };
}
