import { isStatehouseError } from "@statehouse/core";

/**
 * What an error is, as a string that makes a failed assertion readable: the stable code of a
 * statehouse error, or `untyped <name>: <message>` for anything else, which no clause accepts.
 */
export function errorKind(err: unknown): string {
  if (isStatehouseError(err)) return err.code;
  if (err instanceof Error) return `untyped ${err.name}: ${err.message}`;
  return `untyped throw: ${String(err)}`;
}

/** Runs `fn` and returns what it threw as `errorKind`, or `"no error"`. */
export async function thrownKind(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "no error";
  } catch (err) {
    return errorKind(err);
  }
}

/** Runs `fn` and returns the thrown error, or undefined. */
export async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

/** The `currentRevision` a conflict error carries (details.currentRevision), or undefined. */
export function conflictRevision(err: unknown): number | undefined {
  if (!isStatehouseError(err, "E_CONFLICT")) return undefined;
  const r = err.details.currentRevision;
  return typeof r === "number" ? r : undefined;
}
