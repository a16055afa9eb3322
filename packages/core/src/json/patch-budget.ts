import { ValidationError } from "../errors.js";
import { DEFAULT_LIMITS } from "../validation.js";
import { isJsonObject } from "./pointer.js";
import { setOwn } from "./spine.js";
import type { JsonObject, JsonValue } from "./types.js";
import { MAX_VALUE_DEPTH } from "./values.js";

/** Bounds on the work of one JSON Patch. */
export interface JsonPatchOptions {
  /**
   * Bytes the patch may add to the document by `copy`, counted as the copies are made (at least
   * a byte a value plus the length of each string and member name). A patch of a few hundred
   * bytes that copies the root into itself doubles the document with every operation; counting
   * as it grows refuses it at the limit instead of after the last operation. Default: the
   * store's record limit, 16 MiB.
   */
  maxBytes?: number;
  /**
   * Work units the patch may spend: each element or member of every container an operation
   * copies along its path (copy-on-write), and each value `copy` clones. Many operations on a
   * huge array each copy the whole array; this bounds their sum. Default
   * {@link DEFAULT_MAX_PATCH_WORK}.
   */
  maxWork?: number;
}

/**
 * Default work budget: a million-element array copied twice, or 62,500 values cloned; tens of
 * milliseconds at most on this project's 2-core machine under load, inside the 100 ms a write may
 * hold the lock.
 */
export const DEFAULT_MAX_PATCH_WORK = 2_000_000;
/** A cloned value costs this many units: cloning a value is slower than copying a slot. */
const CLONE_UNITS = 32;

/** What one patch has spent; throws E_VALIDATION (details.limit) at the first unit over. */
export class PatchBudget {
  private work = 0;
  private bytes = 0;
  readonly maxWork: number;
  readonly maxBytes: number;

  constructor(options: JsonPatchOptions | undefined) {
    this.maxWork = options?.maxWork ?? DEFAULT_MAX_PATCH_WORK;
    this.maxBytes = options?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  }

  spend(units: number): void {
    this.work += units;
    if (this.work > this.maxWork) {
      throw new ValidationError(`the JSON Patch is too much work: it copies more than ${this.maxWork} elements and members`, {
        details: { reason: "limit", limit: "maxWork", max: this.maxWork, issues: [`work > ${this.maxWork}`] },
      });
    }
  }

  grow(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.maxBytes) {
      throw new ValidationError(`the JSON Patch copies more than ${this.maxBytes} bytes, the limit of a record`, {
        details: { reason: "limit", limit: "maxBytes", max: this.maxBytes, issues: [`copied > ${this.maxBytes} bytes`] },
      });
    }
  }

  /**
   * The work of an edit at `tokens`: the containers along the path are copied, each in full.
   * Counted before the edit is made, from the document as it is.
   */
  spendPath(doc: JsonValue, tokens: readonly string[]): void {
    let node: JsonValue | undefined = doc;
    let units = 1;
    for (let i = 0; i < tokens.length && node !== undefined; i++) {
      if (Array.isArray(node)) {
        units += node.length;
        const index = Number(tokens[i]);
        node = Number.isInteger(index) ? node[index] : undefined;
      } else if (isJsonObject(node)) {
        let members = 0;
        for (const key in node) if (Object.hasOwn(node, key)) members++;
        units += members;
        node = Object.hasOwn(node, tokens[i]!) ? node[tokens[i]!] : undefined;
      } else {
        break;
      }
    }
    this.spend(units);
  }

  /**
   * A deep copy of `value` (a `copy` must not share structure: the store refuses shared
   * references), charged node by node as it is made, so the copy stops at the budget rather than
   * after it. Iterative, and refused beyond {@link MAX_VALUE_DEPTH}, so a document a patch has
   * nested deeply cannot exhaust the stack.
   */
  clone(value: JsonValue): JsonValue {
    if (typeof value !== "object" || value === null) {
      this.grow(1 + (typeof value === "string" ? value.length : 0));
      return value;
    }
    const root: JsonValue[] = [null];
    const stack: { from: JsonValue; into: JsonValue[] | JsonObject; key: string | number; depth: number }[] = [
      { from: value, into: root, key: 0, depth: 1 },
    ];
    while (stack.length > 0) {
      const { from, into, key, depth } = stack.pop()!;
      this.spend(CLONE_UNITS);
      let copy: JsonValue;
      if (Array.isArray(from)) {
        this.grow(1);
        copy = new Array(from.length);
        for (let i = 0; i < from.length; i++) stack.push({ from: from[i]!, into: copy, key: i, depth: depth + 1 });
      } else if (isJsonObject(from)) {
        this.grow(1);
        copy = {} as JsonObject;
        for (const k of Object.keys(from)) {
          this.grow(k.length);
          // Placed now, filled when popped: members keep their order.
          setOwn(copy, k, null);
          stack.push({ from: from[k]!, into: copy, key: k, depth: depth + 1 });
        }
      } else {
        this.grow(1 + (typeof from === "string" ? from.length : 0));
        copy = from;
      }
      if (depth > MAX_VALUE_DEPTH && typeof copy === "object" && copy !== null) {
        throw new ValidationError(`the JSON Patch nests the document deeper than ${MAX_VALUE_DEPTH} levels`, {
          details: { reason: "limit", limit: "depth", max: MAX_VALUE_DEPTH, issues: [`depth > ${MAX_VALUE_DEPTH}`] },
        });
      }
      if (Array.isArray(into)) into[key as number] = copy;
      else setOwn(into, key as string, copy);
    }
    return root[0]!;
  }
}
