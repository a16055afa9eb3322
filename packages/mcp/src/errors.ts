import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type ErrorCode, IDEMPOTENCY_KEY_REUSED, isStatehouseError } from "@statehouse/core";

/** What a model should do about each code: the sentence after the error's own message. */
const HINTS: Readonly<Record<ErrorCode, string>> = {
  E_NOT_FOUND: "It does not exist: check the id or name (session_list, agent_list, tools_list list what exists), or create it first.",
  E_CONFLICT: "Another writer changed it since you read it.",
  E_VALIDATION:
    "The arguments were refused as they are: fix what the message names and call again (values are plain JSON, at most 64 levels deep).",
  E_INVALID_QUERY: "Use a JSON Pointer (/a/b) or an RFC 9535 JSONPath ($.a[?@.b == 1]); if the query hit a limit, make it narrower.",
  E_INVALID_PATH: "Ids and names are 1 to 200 of A-Z a-z 0-9 _ . : @ + - (not starting with . or -, no ..); pointers start with /.",
  E_LOCK_TIMEOUT: "The store is busy with other writers: wait a moment and retry the same call.",
  E_CORRUPT: "The store is damaged: do not retry; ask the user to run `statehouse doctor --repair`.",
  E_STORAGE_FULL: "The disk is full: do not retry; ask the user to free space.",
  E_PERMISSION: "The store's files cannot be accessed: do not retry; ask the user to check permissions.",
  E_CLOSED: "The store is closed (the server is stopping): do not retry on this server.",
  E_CONFIG: "The project config was refused: fix what the message names and call again.",
  E_IO: "An I/O error: retry once; if it happens again, ask the user.",
  E_UNAVAILABLE: "A server the store needs cannot be reached: wait and retry.",
};

/** The error part of a tool error, also sent as structured content. */
export interface ToolErrorShape {
  code: string;
  message: string;
  hint: string;
  currentRevision?: number;
  /** A lease conflict: the lease, who holds it now (null: nobody), its current token and (held) its expiry. */
  lease?: string;
  holder?: string | null;
  currentToken?: number;
  expiresAt?: string;
  /** Why a conflict that is neither a revision's nor a lease's happened: `idempotency-key-reused`. */
  reason?: string;
}

/** A lease refusing an acquire (held by another) or a token (no longer current): what to do differs. */
function leaseConflict(code: string, message: string, d: Readonly<Record<string, unknown>>): ToolErrorShape {
  const lease = String(d.lease);
  const holder = typeof d.holder === "string" ? d.holder : null;
  const currentToken = typeof d.currentToken === "number" ? d.currentToken : 0;
  const expiresAt = typeof d.expiresAt === "string" ? d.expiresAt : undefined;
  const hint =
    d.token === undefined
      ? `Lease "${lease}" belongs to "${holder}" until ${expiresAt}: do not do the work it guards; do something else and ` +
        "call lease_acquire again after that time (sooner if the holder releases it)."
      : `You no longer hold lease "${lease}"${holder === null ? "" : ` ("${holder}" holds it now)`}: stop the work it guards ` +
        "and write nothing more under that token; call lease_acquire again and re-read the state before continuing.";
  return { code, message, hint, lease, holder, currentToken, ...(expiresAt !== undefined && { expiresAt }) };
}

/** Describes any thrown value as a statehouse code, its message and what to do next. */
export function describe(err: unknown): ToolErrorShape {
  if (isStatehouseError(err)) {
    if (err.code === "E_CONFLICT" && typeof err.details.lease === "string") return leaseConflict(err.code, err.message, err.details);
    if (err.code === "E_CONFLICT" && err.details.reason === IDEMPOTENCY_KEY_REUSED) {
      // Not another writer: this key already applied a different write. Retrying cannot help.
      const hint =
        "This idempotencyKey was already used for a different write, which was applied: do not retry with this key; " +
        "use a new key for a new write (or the same arguments to get the first result back).";
      return { code: err.code, message: err.message, hint, reason: IDEMPOTENCY_KEY_REUSED };
    }
    if (err.code === "E_CONFLICT") {
      const current = typeof err.details.currentRevision === "number" ? err.details.currentRevision : 0;
      const hint =
        current === 0
          ? `${HINTS.E_CONFLICT} It does not exist now: re-read and retry (expectedRevision 0 writes only if it is still absent).`
          : `${HINTS.E_CONFLICT} Its current revision is ${current}: re-read and retry with expectedRevision ${current}.`;
      return { code: err.code, message: err.message, hint, currentRevision: current };
    }
    return { code: err.code, message: err.message, hint: HINTS[err.code] ?? "" };
  }
  // Not a statehouse error: a bug. Its message is still the most useful thing to show.
  const message = err instanceof Error ? err.message : String(err);
  return { code: "E_UNEXPECTED", message, hint: "An internal error: retry once; if it happens again, report it." };
}

/** A tool error result: `isError`, the code first in the text, and the same as structured content. */
export function errorResult(err: unknown): CallToolResult {
  const e = describe(err);
  return {
    isError: true,
    content: [{ type: "text", text: `${e.code}: ${e.message}. ${e.hint}` }],
    structuredContent: { error: { ...e } },
  };
}
