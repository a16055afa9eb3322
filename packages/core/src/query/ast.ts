import type { JsonValue } from "../json/types.js";

/**
 * The syntax tree of an RFC 9535 query, as produced by the parser. Every node has already been
 * type-checked (RFC 9535 §2.4.3 well-typedness), so the compiler never meets an ill-typed tree.
 */

export type Selector =
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "wildcard" }
  | { readonly kind: "index"; readonly index: number }
  | {
      readonly kind: "slice";
      readonly start: number | undefined;
      readonly end: number | undefined;
      readonly step: number | undefined;
    }
  | { readonly kind: "filter"; readonly expr: LogicalExpr };

export interface Segment {
  /** `..` (descendant segment) rather than a child segment. */
  readonly descendant: boolean;
  readonly selectors: readonly Selector[];
}

export interface QueryAst {
  /** `$` for an absolute query, `@` for a query relative to the filter's current node. */
  readonly root: "$" | "@";
  readonly segments: readonly Segment[];
  /** Only child segments with one name or index selector each: the result has at most one node. */
  readonly singular: boolean;
}

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** The three types of RFC 9535 §2.4.1. */
export type ExprType = "value" | "logical" | "nodes";

export type LogicalExpr =
  | { readonly kind: "or"; readonly operands: readonly LogicalExpr[] }
  | { readonly kind: "and"; readonly operands: readonly LogicalExpr[] }
  | { readonly kind: "not"; readonly operand: LogicalExpr }
  /** A test expression on a filter query: true when it selects at least one node. */
  | { readonly kind: "exists"; readonly query: QueryAst }
  /** A test expression on a function whose result type is LogicalType or NodesType. */
  | { readonly kind: "call-test"; readonly call: FunctionCall }
  | { readonly kind: "compare"; readonly op: CompareOp; readonly left: Comparable; readonly right: Comparable };

/** Something that produces a ValueType result (a value or Nothing). */
export type Comparable =
  | { readonly kind: "literal"; readonly value: JsonValue }
  | { readonly kind: "singular"; readonly query: QueryAst }
  | { readonly kind: "call"; readonly call: FunctionCall };

export type FunctionArg =
  | { readonly type: "value"; readonly expr: Comparable }
  | { readonly type: "nodes"; readonly query: QueryAst }
  | { readonly type: "nodes-call"; readonly call: FunctionCall }
  | { readonly type: "logical"; readonly expr: LogicalExpr };

export interface FunctionCall {
  readonly name: string;
  readonly args: readonly FunctionArg[];
  readonly resultType: ExprType;
}
