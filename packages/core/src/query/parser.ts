import { InvalidQueryError } from "../errors.js";
import type { Comparable, CompareOp, ExprType, FunctionArg, FunctionCall, LogicalExpr, QueryAst, Segment, Selector } from "./ast.js";
import { lookupFunction } from "./functions.js";
import { Scanner } from "./scanner.js";

/**
 * Deepest nesting of parentheses, filters and function calls accepted. The parser is recursive
 * descent, so without a bound a query of 100,000 "(" would overflow the stack.
 */
export const MAX_NESTING = 64;

/**
 * A parsed operand of a comparison or a function argument, before its use decides its type:
 * `@.a` is a value in `@.a == 1`, a node list in `count(@.a)` and a test in `?@.a`.
 */
type Operand =
  | { readonly kind: "literal"; readonly expr: Comparable; readonly at: number }
  | { readonly kind: "query"; readonly query: QueryAst; readonly at: number }
  | { readonly kind: "call"; readonly call: FunctionCall; readonly at: number }
  | { readonly kind: "logical"; readonly expr: LogicalExpr; readonly at: number };

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

const COMPARE_OPS: readonly CompareOp[] = ["==", "!=", "<=", ">=", "<", ">"];

/**
 * Longest query text accepted (UTF-16 code units). Parsing is linear, but a megabyte of query
 * text would still hold the event loop; real queries are a few dozen characters.
 */
export const MAX_QUERY_LENGTH = 16_384;

/** Parses and type-checks an RFC 9535 query; throws InvalidQueryError with the offset. */
export function parseQuery(expression: string): QueryAst {
  if (expression.length > MAX_QUERY_LENGTH) {
    throw new InvalidQueryError(
      `JSONPath query refused: it is ${expression.length} characters long, over the limit of ${MAX_QUERY_LENGTH}`,
      { details: { reason: "limit", limit: "maxQueryLength", max: MAX_QUERY_LENGTH } },
    );
  }
  const parser = new Parser(expression);
  if (parser.peek() !== "$") parser.fail("a query must start with '$'");
  const query = parser.query();
  if (!parser.atEnd()) parser.fail("unexpected character");
  return query;
}

class Parser extends Scanner {
  private depth = 0;

  private enter(): void {
    if (++this.depth > MAX_NESTING) this.fail(`nesting deeper than ${MAX_NESTING} levels`);
  }

  /** jsonpath-query / rel-query: "$" or "@", then segments. */
  query(): QueryAst {
    const root = this.peek() as "$" | "@";
    this.pos++;
    const segments: Segment[] = [];
    let singular = true;
    for (;;) {
      // Whitespace may precede a segment but must not trail the query, so look ahead.
      const save = this.pos;
      this.skipS();
      const c = this.peek();
      if (c !== "." && c !== "[") {
        this.pos = save;
        break;
      }
      const start = this.pos;
      const segment = this.segment();
      const only = segment.selectors[0]!;
      if (segment.descendant || segment.selectors.length !== 1 || (only.kind !== "name" && only.kind !== "index")) {
        singular = false;
      } else if (c === "[" && (isBlank(this.src.charCodeAt(start + 1)) || isBlank(this.src.charCodeAt(this.pos - 2)))) {
        // name-segment and index-segment have no blank space inside the brackets: `@[ 'a' ]`
        // is a valid query but not a singular one (RFC 9535 §2.3.5.1).
        singular = false;
      }
      segments.push(segment);
    }
    return { root, segments, singular };
  }

  private segment(): Segment {
    if (this.eat("..")) {
      if (this.peek() === "[") return { descendant: true, selectors: this.bracketed() };
      if (this.eat("*")) return { descendant: true, selectors: [{ kind: "wildcard" }] };
      if (this.atNameFirst()) return { descendant: true, selectors: [{ kind: "name", name: this.memberName() }] };
      return this.fail("expected '[', '*' or a member name after '..'");
    }
    if (this.eat(".")) {
      if (this.eat("*")) return { descendant: false, selectors: [{ kind: "wildcard" }] };
      if (this.atNameFirst()) return { descendant: false, selectors: [{ kind: "name", name: this.memberName() }] };
      return this.fail("expected '*' or a member name after '.'");
    }
    return { descendant: false, selectors: this.bracketed() };
  }

  /** bracketed-selection = "[" S selector *(S "," S selector) S "]" */
  private bracketed(): Selector[] {
    this.expect("[");
    const selectors: Selector[] = [];
    for (;;) {
      this.skipS();
      selectors.push(this.selector());
      this.skipS();
      if (this.eat("]")) return selectors;
      this.expect(",", "',' or ']'");
    }
  }

  private selector(): Selector {
    const c = this.peek();
    if (c === "'" || c === '"') return { kind: "name", name: this.stringLiteral() };
    if (c === "*") {
      this.pos++;
      return { kind: "wildcard" };
    }
    if (c === "?") {
      this.pos++;
      this.skipS();
      this.enter();
      const expr = this.logicalOr();
      this.depth--;
      return { kind: "filter", expr };
    }
    if (c === ":" || this.atInt()) {
      const start = c === ":" ? undefined : this.int();
      const save = this.pos;
      this.skipS();
      if (this.peek() !== ":") {
        this.pos = save;
        if (start === undefined) this.fail("expected a selector");
        return { kind: "index", index: start };
      }
      this.pos++;
      this.skipS();
      const end = this.atInt() ? this.int() : undefined;
      this.skipS();
      let step: number | undefined;
      if (this.eat(":")) {
        this.skipS();
        if (this.atInt()) step = this.int();
      }
      return { kind: "slice", start, end, step };
    }
    return this.fail("expected a selector (name, '*', index, slice or filter)");
  }

  /** logical-or-expr = logical-and-expr *(S "||" S logical-and-expr) */
  private logicalOr(first?: LogicalExpr): LogicalExpr {
    const operands = [this.logicalAnd(first)];
    for (;;) {
      const save = this.pos;
      this.skipS();
      if (!this.eat("||")) {
        this.pos = save;
        break;
      }
      this.skipS();
      operands.push(this.logicalAnd());
    }
    return operands.length === 1 ? operands[0]! : { kind: "or", operands };
  }

  private logicalAnd(first?: LogicalExpr): LogicalExpr {
    const operands = [first ?? this.basic()];
    for (;;) {
      const save = this.pos;
      this.skipS();
      if (!this.eat("&&")) {
        this.pos = save;
        break;
      }
      this.skipS();
      operands.push(this.basic());
    }
    return operands.length === 1 ? operands[0]! : { kind: "and", operands };
  }

  /** basic-expr = paren-expr / comparison-expr / test-expr */
  private basic(): LogicalExpr {
    const at = this.pos;
    if (this.eat("!")) {
      this.skipS();
      if (this.peek() === "(") return { kind: "not", operand: this.paren() };
      const operand = this.primary();
      return { kind: "not", operand: this.asTest(operand, at) };
    }
    if (this.peek() === "(") return this.paren();
    return this.afterPrimary(this.primary(), at);
  }

  /** Completes a basic-expr whose first operand is parsed: a comparison, or else a test. */
  private afterPrimary(left: Operand, at: number): LogicalExpr {
    const save = this.pos;
    this.skipS();
    const op = COMPARE_OPS.find((candidate) => this.src.startsWith(candidate, this.pos));
    if (op === undefined) {
      this.pos = save;
      return this.asTest(left, at);
    }
    this.pos += op.length;
    this.skipS();
    const right = this.primary();
    return { kind: "compare", op, left: this.asComparable(left), right: this.asComparable(right) };
  }

  private paren(): LogicalExpr {
    this.expect("(");
    this.enter();
    this.skipS();
    const expr = this.logicalOr();
    this.skipS();
    this.expect(")", "')'");
    this.depth--;
    return expr;
  }

  /** A query, a function call or a literal: what may stand on either side of a comparison. */
  private primary(): Operand {
    const at = this.pos;
    const c = this.peek();
    if (c === "@" || c === "$") return { kind: "query", query: this.query(), at };
    if (c === "'" || c === '"') return { kind: "literal", expr: { kind: "literal", value: this.stringLiteral() }, at };
    if (c === "-" || this.isDigit()) return { kind: "literal", expr: { kind: "literal", value: this.number() }, at };
    const word = this.word();
    if (this.peek() === "(") return { kind: "call", call: this.call(word, at), at };
    if (word === "true" || word === "false") return { kind: "literal", expr: { kind: "literal", value: word === "true" }, at };
    if (word === "null") return { kind: "literal", expr: { kind: "literal", value: null }, at };
    return this.fail(word === "" ? "expected a query, a literal or a function call" : `unknown identifier '${word}'`, at);
  }

  private call(name: string, at: number): FunctionCall {
    const definition = lookupFunction(name);
    if (definition === undefined) this.fail(`unknown function '${name}'`, at);
    this.expect("(");
    this.enter();
    this.skipS();
    const operands: Operand[] = [];
    if (!this.eat(")")) {
      for (;;) {
        operands.push(this.argument());
        this.skipS();
        if (this.eat(")")) break;
        this.expect(",", "',' or ')'");
        this.skipS();
      }
    }
    this.depth--;
    if (operands.length !== definition.params.length) {
      this.fail(`${name}() takes ${definition.params.length} argument(s), got ${operands.length}`, at);
    }
    const args = operands.map((operand, i) => this.asArgument(operand, definition.params[i]!, name));
    return { name, args, resultType: definition.result };
  }

  /** function-argument = literal / filter-query / logical-expr / function-expr */
  private argument(): Operand {
    const at = this.pos;
    if (this.peek() === "!" || this.peek() === "(") return { kind: "logical", expr: this.logicalOr(), at };
    const first = this.primary();
    const save = this.pos;
    this.skipS();
    const continues =
      this.src.startsWith("&&", this.pos) ||
      this.src.startsWith("||", this.pos) ||
      COMPARE_OPS.some((op) => this.src.startsWith(op, this.pos));
    this.pos = save;
    if (!continues) return first;
    // Continue from the parsed operand rather than re-parsing it, which would be exponential
    // in the nesting of calls.
    return { kind: "logical", expr: this.logicalOr(this.afterPrimary(first, at)), at };
  }

  private asArgument(operand: Operand, type: ExprType, name: string): FunctionArg {
    switch (type) {
      case "value":
        return { type, expr: this.asComparable(operand, `argument of ${name}()`) };
      case "nodes":
        if (operand.kind === "query") return { type, query: operand.query };
        if (operand.kind === "call" && operand.call.resultType === "nodes") return { type: "nodes-call", call: operand.call };
        return this.fail(`argument of ${name}() must be a query (a node list)`, operand.at);
      case "logical":
        if (operand.kind === "logical") return { type, expr: operand.expr };
        return { type, expr: this.asTest(operand, operand.at) };
    }
  }

  /** The operand as a test expression: an existence test or a LogicalType/NodesType function. */
  private asTest(operand: Operand, at: number): LogicalExpr {
    switch (operand.kind) {
      case "query":
        return { kind: "exists", query: operand.query };
      case "call":
        if (operand.call.resultType === "value") {
          this.fail(`${operand.call.name}() returns a value, which cannot be used as a test (compare it)`, operand.at);
        }
        return { kind: "call-test", call: operand.call };
      case "logical":
        return operand.expr;
      case "literal":
        return this.fail("a literal cannot be used as a test (compare it)", at);
    }
  }

  /** The operand as a ValueType: a literal, a singular query or a ValueType function. */
  private asComparable(operand: Operand, what = "comparison operand"): Comparable {
    switch (operand.kind) {
      case "literal":
        return operand.expr;
      case "query":
        if (!operand.query.singular) this.fail(`${what} must be a singular query (names and indexes only)`, operand.at);
        return { kind: "singular", query: operand.query };
      case "call":
        if (operand.call.resultType !== "value") {
          this.fail(`${operand.call.name}() returns a logical value, which cannot be compared`, operand.at);
        }
        return { kind: "call", call: operand.call };
      case "logical":
        return this.fail(`${what} must be a value, not a logical expression`, operand.at);
    }
  }
}
