import type { JsonValue } from "../json/types.js";
import type { ExprType } from "./ast.js";
import { compileIRegexp } from "./i-regexp.js";
import { CHARS_PER_VISIT, codePointLength, isObject, type MaybeValue, NOTHING, type WorkMeter } from "./values.js";

/** An evaluated argument: a value (or Nothing), a node list's values, or a logical value. */
export type ArgValue = MaybeValue | readonly JsonValue[] | boolean;

export interface FunctionDefinition {
  readonly params: readonly ExprType[];
  readonly result: ExprType;
  readonly call: (args: readonly ArgValue[], meter: WorkMeter) => MaybeValue | boolean | readonly JsonValue[];
}

/**
 * The function extensions of RFC 9535 §2.4.4–2.4.8; no others are registered. A Map, so that a
 * name like `constructor` or `__proto__` finds nothing.
 */
const FUNCTIONS = new Map<string, FunctionDefinition>(
  Object.entries({
  length: {
    params: ["value"],
    result: "value",
    call: ([value], meter) => {
      if (typeof value === "string") {
        meter.charge(value.length / CHARS_PER_VISIT);
        return codePointLength(value);
      }
      if (Array.isArray(value)) return value.length;
      if (isObject(value)) return Object.keys(value).length;
      return NOTHING;
    },
  },
  count: {
    params: ["nodes"],
    result: "value",
    call: ([nodes]) => (nodes as readonly JsonValue[]).length,
  },
  match: {
    params: ["value", "value"],
    result: "logical",
    call: ([value, pattern], meter) => regexpTest(value!, pattern!, true, meter),
  },
  search: {
    params: ["value", "value"],
    result: "logical",
    call: ([value, pattern], meter) => regexpTest(value!, pattern!, false, meter),
  },
  value: {
    params: ["nodes"],
    result: "value",
    call: ([nodes]) => {
      const list = nodes as readonly JsonValue[];
      return list.length === 1 ? list[0]! : NOTHING;
    },
  },
  } satisfies Record<string, FunctionDefinition>),
);

export function lookupFunction(name: string): FunctionDefinition | undefined {
  return FUNCTIONS.get(name);
}

/**
 * One linear-time match. Linear is not free: re2js scans some tens of MB/s, so the string is
 * charged to the budget by length before it runs (a 16 MiB string is refused, not scanned for
 * half a second), and the clock is read after.
 */
function regexpTest(value: ArgValue, pattern: ArgValue, whole: boolean, meter: WorkMeter): boolean {
  if (typeof value !== "string" || typeof pattern !== "string") return false;
  const compiled = compileIRegexp(pattern);
  if (compiled === null) return false;
  meter.charge(value.length / CHARS_PER_VISIT);
  const result = (whole ? compiled.full : compiled.partial).test(value);
  meter.checkClock();
  return result;
}
