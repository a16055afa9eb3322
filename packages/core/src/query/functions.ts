import type { JsonValue } from "../json/types.js";
import type { ExprType } from "./ast.js";
import { type CompiledIRegexp, compileIRegexp, MAX_MATCH_WORK, MAX_REGEXP_SIZE, type OversizedIRegexp } from "./i-regexp.js";
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
        if (isObject(value)) {
          // Counting members enumerates them: charged, so that length() of a huge object once
          // per filtered node is aborted at the budget rather than repeated for every node.
          const count = Object.keys(value).length;
          meter.charge(count);
          return count;
        }
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
 * match()/search() with a pattern only known at run time (taken from the document): compiled
 * through the cache, with the compilation charged to the budget.
 */
function regexpTest(value: ArgValue, pattern: ArgValue, whole: boolean, meter: WorkMeter): boolean {
  if (typeof value !== "string" || typeof pattern !== "string") return false;
  return runIRegexp(compileIRegexp(pattern, meter), value, whole, meter);
}

/**
 * One linear-time match, within the size model of i-regexp.ts: an oversized pattern or a single
 * match too large to interrupt refuses the query; otherwise the match is charged to the budget
 * by (string length × pattern size) before it runs, and the clock is read after. A null pattern
 * (not a valid I-Regexp) matches nothing.
 */
export function runIRegexp(
  compiled: CompiledIRegexp | OversizedIRegexp | null,
  value: ArgValue,
  whole: boolean,
  meter: WorkMeter,
): boolean {
  if (compiled === null || typeof value !== "string") return false;
  if ("oversized" in compiled) return meter.refuse("regexpSize", MAX_REGEXP_SIZE, oversizedMessage(compiled));
  const work = value.length * compiled.size;
  if (work > MAX_MATCH_WORK) {
    meter.refuse(
      "regexpWork",
      MAX_MATCH_WORK,
      `a regular expression of size ${compiled.size} on a string of ${value.length} characters is too much work for one match`,
    );
  }
  meter.charge((value.length * (1 + compiled.size / 16)) / CHARS_PER_VISIT);
  const result = (whole ? compiled.full : compiled.partial).test(value);
  meter.checkClock();
  return result;
}

export function oversizedMessage(pattern: OversizedIRegexp): string {
  return `its regular expression expands to ${pattern.size > 1e9 ? "over a billion" : pattern.size} instructions`;
}
