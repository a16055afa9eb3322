import type { JsonValue } from "../json/types.js";

const TYPES = new Set(["null", "boolean", "object", "array", "number", "string", "integer"]);
const SCHEMA = [
  "items",
  "additionalProperties",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "additionalItems",
];
const SCHEMA_MAPS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const SCHEMA_LISTS = ["prefixItems", "allOf", "anyOf", "oneOf"];
const NUMBERS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];
const COUNTS = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"];
const STRINGS = ["$ref", "$dynamicRef", "$id", "$schema", "$anchor", "$dynamicAnchor", "$comment", "title", "description", "format"];
// A tool's schema is small; this bounds the work on a hostile one.
const MAX_ISSUES = 20;

function isObject(v: unknown): v is Record<string, JsonValue> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function validRegExp(source: string): boolean {
  try {
    new RegExp(source, "u");
    return true;
  } catch {
    return false;
  }
}

function isCount(v: unknown): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/**
 * Checks that a value is a JSON Schema (draft 2020-12, also accepting draft-07's array `items`):
 * a boolean or an object whose known keywords have the shapes the specification gives them,
 * recursively. Unknown keywords are allowed, as the specification allows them. Returns the
 * problems, each naming its location as a JSON Pointer; empty when the schema is well formed.
 */
export function jsonSchemaProblems(schema: JsonValue, at = ""): string[] {
  const issues: string[] = [];
  const stack: { s: JsonValue; at: string }[] = [{ s: schema, at }];
  const push = (s: JsonValue, where: string) => stack.push({ s, at: where });
  const bad = (where: string, problem: string) => issues.push(`${where || "/"}: ${problem}`);
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const { s, at: p } = stack.pop()!;
    if (typeof s === "boolean") continue;
    if (!isObject(s)) {
      bad(p, "a schema must be an object or a boolean");
      continue;
    }
    const t = s.type;
    if (t !== undefined) {
      const list = Array.isArray(t) ? t : [t];
      if (
        (Array.isArray(t) && t.length === 0) ||
        !list.every((x) => typeof x === "string" && TYPES.has(x)) ||
        new Set(list).size !== list.length
      ) {
        bad(`${p}/type`, `must be one of ${[...TYPES].join(", ")}, or an array of distinct ones`);
      }
    }
    if (s.enum !== undefined && !Array.isArray(s.enum)) bad(`${p}/enum`, "must be an array");
    if (s.required !== undefined && (!Array.isArray(s.required) || !s.required.every((x) => typeof x === "string")))
      bad(`${p}/required`, "must be an array of strings");
    if (s.uniqueItems !== undefined && typeof s.uniqueItems !== "boolean") bad(`${p}/uniqueItems`, "must be a boolean");
    if (s.multipleOf !== undefined && !(typeof s.multipleOf === "number" && s.multipleOf > 0))
      bad(`${p}/multipleOf`, "must be a number greater than 0");
    if (s.pattern !== undefined && (typeof s.pattern !== "string" || !validRegExp(s.pattern)))
      bad(`${p}/pattern`, "must be a valid regular expression");
    for (const k of NUMBERS) if (s[k] !== undefined && typeof s[k] !== "number") bad(`${p}/${k}`, "must be a number");
    for (const k of COUNTS) if (s[k] !== undefined && !isCount(s[k])) bad(`${p}/${k}`, "must be a non-negative integer");
    for (const k of STRINGS) if (s[k] !== undefined && typeof s[k] !== "string") bad(`${p}/${k}`, "must be a string");
    if (s.dependentRequired !== undefined) {
      const d = s.dependentRequired;
      if (!isObject(d) || !Object.values(d).every((v) => Array.isArray(v) && v.every((x) => typeof x === "string"))) {
        bad(`${p}/dependentRequired`, "must be an object of string arrays");
      }
    }
    for (const k of SCHEMA) {
      const v = s[k];
      if (v === undefined) continue;
      // draft-07 `items: [schemas]` (2020-12 calls it prefixItems)
      if (k === "items" && Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) push(v[i]!, `${p}/items/${i}`);
      } else {
        push(v, `${p}/${k}`);
      }
    }
    for (const k of SCHEMA_MAPS) {
      const v = s[k];
      if (v === undefined) continue;
      if (!isObject(v)) {
        bad(`${p}/${k}`, "must be an object of schemas");
        continue;
      }
      for (const [name, sub] of Object.entries(v)) {
        if (k === "patternProperties" && !validRegExp(name))
          bad(`${p}/${k}/${name}`, "the property pattern is not a valid regular expression");
        push(sub, `${p}/${k}/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`);
      }
    }
    for (const k of SCHEMA_LISTS) {
      const v = s[k];
      if (v === undefined) continue;
      if (!Array.isArray(v) || v.length === 0) bad(`${p}/${k}`, "must be a non-empty array of schemas");
      else for (let i = 0; i < v.length; i++) push(v[i]!, `${p}/${k}/${i}`);
    }
  }
  return issues;
}
