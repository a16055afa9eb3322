export {
  type CompiledQuery,
  compileQuery,
  isJsonPath,
  MAX_CACHED_EXPRESSION_LENGTH,
  QUERY_CACHE_SIZE,
  type QueryNode,
  runQuery,
} from "./query.js";
export { DEFAULT_MAX_MILLIS, DEFAULT_MAX_NODES, type QueryLimitsOptions } from "./budget.js";
export { MAX_NESTING, MAX_QUERY_LENGTH } from "./parser.js";
