import type { JsonValue } from "../json/types.js";
import type { Comparable, FunctionArg, FunctionCall, LogicalExpr, QueryAst } from "./ast.js";
import type { QueryContext } from "./budget.js";
import { InvalidQueryError } from "../errors.js";
import { type ArgValue, lookupFunction, oversizedMessage, runIRegexp } from "./functions.js";
import { compileIRegexp, MAX_REGEXP_SIZE, regexEngine } from "./i-regexp.js";
import { compileSegments, runValues } from "./segments.js";
import { compareValues, hasOwnKey, isObject, type MaybeValue, NOTHING } from "./values.js";

/**
 * Filter expressions compiled to closures over the syntax tree: no source text is ever built or
 * evaluated (no eval, Function or vm), so a query can only do what this file spells out.
 */
export type Predicate = (current: JsonValue, cx: QueryContext) => boolean;
type ValueFn = (current: JsonValue, cx: QueryContext) => MaybeValue;
type NodesFn = (current: JsonValue, cx: QueryContext) => readonly JsonValue[];
type ArgFn = (current: JsonValue, cx: QueryContext) => ArgValue;

/** The keys of a singular query: member names as strings, indexes as numbers. */
export function singularSteps(query: QueryAst): (string | number)[] {
  return query.segments.map((segment) => {
    const selector = segment.selectors[0]!;
    if (selector.kind === "name") return selector.name;
    if (selector.kind === "index") return selector.index;
    throw new TypeError("not a singular query");
  });
}

/** Follows a singular query's keys from `value`; Nothing as soon as one is missing. */
export function walkSingular(value: JsonValue, steps: readonly (string | number)[]): MaybeValue {
  let current = value;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (typeof step === "string") {
      if (!isObject(current) || !hasOwnKey(current, step)) return NOTHING;
      current = current[step]!;
    } else {
      if (!Array.isArray(current)) return NOTHING;
      const index = step < 0 ? current.length + step : step;
      if (index < 0 || index >= current.length) return NOTHING;
      current = current[index]!;
    }
  }
  return current;
}

function compileSingular(query: QueryAst): ValueFn {
  const steps = singularSteps(query);
  // A long chain (`@.a.a.a…`, thousands of steps in a long query) is charged by its length.
  if (steps.length > 2) {
    const cost = steps.length - 1;
    const root = query.root === "$";
    return (current, cx) => {
      cx.charge(cost);
      return walkSingular(root ? cx.root : current, steps);
    };
  }
  if (query.root === "$") return (_current, cx) => walkSingular(cx.root, steps);
  if (steps.length === 1 && typeof steps[0] === "string") {
    const name = steps[0];
    return (current) => (isObject(current) && hasOwnKey(current, name) ? current[name]! : NOTHING);
  }
  return (current) => walkSingular(current, steps);
}

function compileNodes(query: QueryAst): NodesFn {
  const segments = compileSegments(query.segments);
  if (query.root === "$") return (_current, cx) => runValues(segments, cx.root, cx);
  return (current, cx) => runValues(segments, current, cx);
}

export function compileLogical(expr: LogicalExpr): Predicate {
  switch (expr.kind) {
    // Each operand evaluated beyond the first is charged: a 1,000-way disjunction is 1,000 tests
    // per filtered node, not one visit.
    case "or": {
      const operands = expr.operands.map(compileLogical);
      return (current, cx) => {
        cx.charge(operands.length - 1);
        for (const operand of operands) if (operand(current, cx)) return true;
        return false;
      };
    }
    case "and": {
      const operands = expr.operands.map(compileLogical);
      return (current, cx) => {
        cx.charge(operands.length - 1);
        for (const operand of operands) if (!operand(current, cx)) return false;
        return true;
      };
    }
    case "not": {
      const operand = compileLogical(expr.operand);
      return (current, cx) => !operand(current, cx);
    }
    case "exists": {
      if (expr.query.singular) {
        const value = compileSingular(expr.query);
        return (current, cx) => value(current, cx) !== NOTHING;
      }
      const nodes = compileNodes(expr.query);
      return (current, cx) => nodes(current, cx).length > 0;
    }
    case "call-test": {
      const call = compileCall(expr.call);
      if (expr.call.resultType === "nodes") return (current, cx) => (call(current, cx) as readonly JsonValue[]).length > 0;
      return (current, cx) => call(current, cx) === true;
    }
    case "compare":
      return compileCompare(expr);
  }
}

function compileCompare(expr: Extract<LogicalExpr, { kind: "compare" }>): Predicate {
  const { op, left, right } = expr;
  // Equality with a scalar literal is identity (numbers compare by value, and Nothing or a
  // container never equals a scalar): the common `@.status == 'open'` skips the general path.
  if ((op === "==" || op === "!=") && (isScalarLiteral(left) || isScalarLiteral(right))) {
    const literal = isScalarLiteral(right) ? right.value : (left as { value: JsonValue }).value;
    const other = compileComparable(isScalarLiteral(right) ? left : right);
    return op === "==" ? (current, cx) => other(current, cx) === literal : (current, cx) => other(current, cx) !== literal;
  }
  const a = compileComparable(left);
  const b = compileComparable(right);
  return (current, cx) => compareValues(op, a(current, cx), b(current, cx), cx);
}

function isScalarLiteral(c: Comparable): c is Extract<Comparable, { kind: "literal" }> {
  return c.kind === "literal" && (typeof c.value !== "object" || c.value === null);
}

function compileComparable(comparable: Comparable): ValueFn {
  switch (comparable.kind) {
    case "literal": {
      const value = comparable.value;
      return () => value;
    }
    case "singular":
      return compileSingular(comparable.query);
    case "call": {
      const call = compileCall(comparable.call);
      return call as ValueFn;
    }
  }
}

function compileArg(arg: FunctionArg): ArgFn {
  switch (arg.type) {
    case "value":
      return compileComparable(arg.expr);
    case "nodes":
      return compileNodes(arg.query);
    case "nodes-call":
      return compileCall(arg.call);
    case "logical":
      return compileLogical(arg.expr);
  }
}

/**
 * match()/search() whose pattern is a string literal (the usual case): the pattern is compiled
 * here, once, outside any run's clock; an oversized one refuses the query now. A pattern that
 * comes from the document is compiled at run time, but the regex engine is loaded now.
 */
function compileRegexpCall(call: FunctionCall): ArgFn | undefined {
  if (call.name !== "match" && call.name !== "search") return undefined;
  regexEngine();
  const [subjectArg, patternArg] = call.args;
  if (patternArg?.type !== "value" || patternArg.expr.kind !== "literal" || typeof patternArg.expr.value !== "string") {
    return undefined;
  }
  const compiled = compileIRegexp(patternArg.expr.value);
  if (compiled !== null && "oversized" in compiled) {
    throw new InvalidQueryError(`JSONPath query refused: ${oversizedMessage(compiled)} (limit regexpSize=${MAX_REGEXP_SIZE})`, {
      details: { reason: "limit", limit: "regexpSize", max: MAX_REGEXP_SIZE },
    });
  }
  const subject = compileArg(subjectArg!);
  const whole = call.name === "match";
  return (current, cx) => runIRegexp(compiled, subject(current, cx), whole, cx);
}

function compileCall(call: FunctionCall): ArgFn {
  const regexp = compileRegexpCall(call);
  if (regexp !== undefined) return regexp;
  const definition = lookupFunction(call.name)!;
  const args = call.args.map(compileArg);
  const fn = definition.call;
  if (args.length === 1) {
    const [only] = args as [ArgFn];
    return (current, cx) => fn([only(current, cx)], cx) as ArgValue;
  }
  return (current, cx) =>
    fn(
      args.map((arg) => arg(current, cx)),
      cx,
    ) as ArgValue;
}
