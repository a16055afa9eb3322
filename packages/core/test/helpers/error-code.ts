import { isStatehouseError } from "../../src/errors.js";

/** What a call settled with: "no error", the StatehouseError's code, or "raw …" for anything untyped. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "no error";
  } catch (err) {
    return isStatehouseError(err) ? err.code : `raw ${String(err)}`;
  }
}
