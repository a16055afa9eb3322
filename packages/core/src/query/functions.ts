import type { JsonValue } from "../json/types.js";
import type { ExprType } from "./ast.js";
import { compileIRegexp } from "./i-regexp.js";
import { codePointLength, isObject, type MaybeValue, NOTHING } from "./values.js";

/** An evaluated argument: a value (or Nothing), a node list's values, or a logical value. */
export type ArgValue = MaybeValue | readonly JsonValue[] | boolean;

export interface FunctionDefinition {
  readonly params: readonly ExprType[];
  readonly result: ExprType;
  /** `afterRegexp` is called once a regular expression has run, so the caller can check its clock. */
  readonly call: (args: readonly ArgValue[], afterRegexp: () => void) => MaybeValue | boolean | readonly JsonValue[];
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
    call: ([value]) => {
      if (typeof value === "string") return codePointLength(value);
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
    call: ([value, pattern], afterRegexp) => regexpTest(value!, pattern!, true, afterRegexp),
  },
  search: {
    params: ["value", "value"],
    result: "logical",
    call: ([value, pattern], afterRegexp) => regexpTest(value!, pattern!, false, afterRegexp),
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

function regexpTest(value: ArgValue, pattern: ArgValue, whole: boolean, afterRegexp: () => void): boolean {
  if (typeof value !== "string" || typeof pattern !== "string") return false;
  const compiled = compileIRegexp(pattern);
  if (compiled === null) return false;
  const result = (whole ? compiled.full : compiled.partial).test(value);
  afterRegexp();
  return result;
}
