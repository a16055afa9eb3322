import fc from "fast-check";
import { TORTURE } from "@statehouse/conformance/testing";
import { describe, expect, it } from "vitest";
import { isStatehouseError } from "../src/errors.js";
import { applyPatch, deleteAt, getAt, incrementAt, mergePatch, setAt } from "../src/json/index.js";
import type { JsonValue } from "../src/json/types.js";
import { deepFreeze } from "../src/validation.js";

/**
 * TESTPLAN "prototype pollution": 0 polluted prototypes over 10,000 fuzzed operations (quick and
 * full: these are pure functions, so the quick run already does the full count; torture does 10×).
 * Every operation runs on a deep-frozen document with hostile keys, and its result or error code
 * is checked against a deliberately naive reference model built on Maps (where no key can reach a
 * prototype). After every operation, Object.prototype, Array.prototype and Function.prototype must
 * be exactly as they were.
 */

const RUNS = TORTURE ? 10_000 : 1_000;
const OPS_PER_RUN = 10;

// ---------- the reference model ----------

type M = null | boolean | number | string | M[] | Map<string, M>;
type Outcome = { ok: M } | { error: string };

class ModelError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}
const fail = (code: string): never => {
  throw new ModelError(code);
};

const INDEX = /^(0|[1-9][0-9]*)$/;

function mParse(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) fail("E_INVALID_PATH");
  return pointer
    .slice(1)
    .split("/")
    .map((raw) => {
      if (/~([^01]|$)/.test(raw)) fail("E_INVALID_PATH");
      const t = raw.split("~1").join("/").split("~0").join("~");
      if (t === "__proto__") fail("E_INVALID_PATH");
      return t;
    });
}

function mIndex(t: string, allowEnd: boolean, length: number): number {
  if (t === "-" && allowEnd) return length;
  if (!INDEX.test(t)) fail("E_INVALID_PATH");
  return Number(t);
}

const isMap = (m: M | undefined): m is Map<string, M> => m instanceof Map;

function mClone(m: M): M {
  if (Array.isArray(m)) return m.map(mClone);
  if (isMap(m)) return new Map([...m].map(([k, v]) => [k, mClone(v)]));
  return m;
}

function mHasProto(m: M): boolean {
  if (Array.isArray(m)) return m.some(mHasProto);
  if (isMap(m)) return [...m].some(([k, v]) => k === "__proto__" || mHasProto(v));
  return false;
}

function mGet(m: M, tokens: string[]): M | undefined {
  let node: M | undefined = m;
  for (const t of tokens) {
    if (Array.isArray(node)) {
      const i = mIndex(t, false, node.length);
      node = node[i];
    } else if (isMap(node)) node = node.get(t);
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/** Walks to the parent of the last token in a document the caller owns (cloned). */
function mParent(root: M, tokens: string[], create: boolean): M {
  let node = root;
  for (const t of tokens.slice(0, -1)) {
    let child: M | undefined;
    if (Array.isArray(node)) {
      const i = mIndex(t, create, node.length);
      child = node[i];
      if (child === undefined) {
        if (!create) fail("E_NOT_FOUND");
        if (i > node.length) fail("E_INVALID_PATH");
        child = new Map();
        node.push(child);
      }
    } else if (isMap(node)) {
      child = node.get(t);
      if (child === undefined) {
        if (!create) fail("E_NOT_FOUND");
        child = new Map();
        node.set(t, child);
      }
    } else {
      fail(create ? "E_INVALID_PATH" : "E_NOT_FOUND");
    }
    node = child!;
  }
  return node;
}

function mSet(m: M, tokens: string[], value: M): M {
  if (tokens.length === 0) return value;
  const root = mClone(m);
  const parent = mParent(root, tokens, true);
  const t = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = mIndex(t, true, parent.length);
    if (i > parent.length) fail("E_INVALID_PATH");
    parent[i] = value;
  } else if (isMap(parent)) parent.set(t, value);
  else fail("E_INVALID_PATH");
  return root;
}

function mAdd(m: M, tokens: string[], value: M): M {
  if (tokens.length === 0) return value;
  const root = mClone(m);
  const parent = mParent(root, tokens, false);
  const t = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = mIndex(t, true, parent.length);
    if (i > parent.length) fail("E_INVALID_PATH");
    parent.splice(i, 0, value);
  } else if (isMap(parent)) parent.set(t, value);
  else fail("E_INVALID_PATH");
  return root;
}

/** remove (del = true) or replace: the target must exist. */
function mExisting(m: M, tokens: string[], del: boolean, value: M = null): M {
  if (tokens.length === 0) return del ? fail("E_INVALID_PATH") : value;
  const root = mClone(m);
  const parent = mParent(root, tokens, false);
  const t = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = mIndex(t, false, parent.length);
    if (i >= parent.length) fail("E_NOT_FOUND");
    if (del) parent.splice(i, 1);
    else parent[i] = value;
  } else if (isMap(parent)) {
    if (!parent.has(t)) fail("E_NOT_FOUND");
    if (del) parent.delete(t);
    else parent.set(t, value);
  } else fail("E_NOT_FOUND");
  return root;
}

function mIncrement(m: M, pointer: string, by: number): M {
  const tokens = mParse(pointer);
  const found = mGet(m, tokens);
  const current = found === undefined ? 0 : found;
  if (typeof current !== "number") fail("E_VALIDATION");
  const sum = (current as number) + by;
  // Operands and sum within ±(2^53 − 1), integers or not (issue 15: 0.5 + 2^60 is imprecise).
  const safe = (x: number) => Math.abs(x) <= Number.MAX_SAFE_INTEGER;
  if (!safe(current as number) || !safe(by) || !safe(sum)) fail("E_VALIDATION");
  return mSet(m, tokens, sum);
}

function mMerge(target: M | undefined, patch: M): M {
  if (!isMap(patch)) return patch;
  const out: Map<string, M> = isMap(target) ? new Map(target) : new Map();
  for (const [k, v] of patch) {
    if (v === null) out.delete(k);
    else out.set(k, mMerge(out.get(k), v));
  }
  return out;
}

interface PatchOp {
  op: string;
  path: string;
  from?: string;
  value?: M;
}

function mPatch(m: M, ops: PatchOp[]): M {
  const compiled = ops.map((o) => {
    if (!["add", "remove", "replace", "move", "copy", "test"].includes(o.op)) fail("E_VALIDATION");
    const tokens = mParse(o.path);
    const from = o.op === "move" || o.op === "copy" ? mParse(o.from ?? fail("E_VALIDATION")) : [];
    if (["add", "replace", "test"].includes(o.op)) {
      if (o.value === undefined) fail("E_VALIDATION");
      if (mHasProto(o.value!)) fail("E_VALIDATION");
    }
    return { ...o, tokens, fromTokens: from };
  });
  let doc = m;
  for (const c of compiled) {
    switch (c.op) {
      case "add":
        doc = mAdd(doc, c.tokens, c.value!);
        break;
      case "remove":
        doc = mExisting(doc, c.tokens, true);
        break;
      case "replace":
        doc = mExisting(doc, c.tokens, false, c.value!);
        break;
      case "move": {
        const prefix = c.fromTokens.length <= c.tokens.length && c.fromTokens.every((t, i) => c.tokens[i] === t);
        if (prefix && c.fromTokens.length === c.tokens.length) {
          if (mGet(doc, c.fromTokens) === undefined) fail("E_NOT_FOUND");
          break;
        }
        if (prefix) fail("E_INVALID_PATH");
        const v = mGet(doc, c.fromTokens);
        if (v === undefined) fail("E_NOT_FOUND");
        doc = mAdd(mExisting(doc, c.fromTokens, true), c.tokens, v!);
        break;
      }
      case "copy": {
        const v = mGet(doc, c.fromTokens);
        if (v === undefined) fail("E_NOT_FOUND");
        doc = mAdd(doc, c.tokens, mClone(v!));
        break;
      }
      case "test": {
        const v = mGet(doc, c.tokens);
        if (v === undefined || canon(v) !== canon(c.value!)) fail("E_CONFLICT");
        break;
      }
    }
  }
  return doc;
}

// ---------- conversions and checks ----------

function canon(m: M): string {
  if (Array.isArray(m)) return `[${m.map(canon).join(",")}]`;
  if (isMap(m)) {
    const keys = [...m.keys()].sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canon(m.get(k)!)}`).join(",")}}`;
  }
  return JSON.stringify(m);
}

/** Model → JSON. Every key, `__proto__` included, becomes an own data property (as JSON.parse does). */
function toJson(m: M): JsonValue {
  if (Array.isArray(m)) return m.map(toJson);
  if (isMap(m)) {
    const o: Record<string, JsonValue> = {};
    for (const [k, v] of m) Object.defineProperty(o, k, { value: toJson(v), writable: true, enumerable: true, configurable: true });
    return o;
  }
  return m;
}

/** JSON → model, checking that every container has its standard prototype and no own `__proto__`. */
function fromJson(v: JsonValue): M {
  if (Array.isArray(v)) {
    expect(Object.getPrototypeOf(v)).toBe(Array.prototype);
    return v.map(fromJson);
  }
  if (typeof v === "object" && v !== null) {
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, "__proto__")).toBe(false);
    return new Map(Object.keys(v).map((k) => [k, fromJson(v[k]!)]));
  }
  return v;
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype] as const;

function snapshot(): string[] {
  return PROTOTYPES.map((p) =>
    Reflect.ownKeys(p)
      .map((k) => {
        const d = Object.getOwnPropertyDescriptor(p, k)!;
        return `${String(k)}:${typeof d.value}:${d.get === undefined}:${d.set === undefined}:${d.writable}`;
      })
      .join("|"),
  );
}

const PROBE_KEYS = ["polluted", "x", "a", "b", "0", "1", "", "~", "/", "-", "é", "😀"];

/** Plain comparisons (no expect) because it runs after each of the 10,000 operations. */
function pollution(before: string[]): string | undefined {
  const now = snapshot();
  for (let i = 0; i < now.length; i++) if (now[i] !== before[i]) return `prototype ${i} changed: ${now[i]}`;
  for (const p of PROTOTYPES) {
    if (Object.getPrototypeOf(p) !== (p === Object.prototype ? null : Object.prototype)) return "a prototype's prototype changed";
  }
  const probes: unknown[] = [{}, [], () => 0, "", 0];
  for (const probe of probes) {
    for (const key of PROBE_KEYS) {
      if ((probe as Record<string, unknown>)[key] !== undefined) return `${typeof probe} inherits ${JSON.stringify(key)}`;
    }
  }
  return undefined;
}

// ---------- generators ----------

const HOSTILE = [
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "",
  "~",
  "/",
  "~1",
  "~0/",
  "é",
  "😀",
  "length",
  "polluted",
];
const ORDINARY = ["a", "b", "0", "1", "2", "01", "-"];
const docKey = fc.constantFrom(...HOSTILE, ...ORDINARY);
// __proto__ is rare, so that most operations get past the refusal and exercise the rest.
const anyKey = fc.oneof({ weight: 1, arbitrary: fc.constant("__proto__") }, { weight: 15, arbitrary: docKey });

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0.5, 1e308),
  fc.constantFrom("", "x", "__proto__", "constructor"),
);

const modelOf = (key: fc.Arbitrary<string>) =>
  fc.letrec<{ value: M }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      scalar as fc.Arbitrary<M>,
      fc.array(tie("value"), { maxLength: 3 }),
      fc.array(fc.tuple(key, tie("value")), { maxLength: 4 }).map((entries) => new Map(entries)),
    ),
  })).value;

const docModel = fc.oneof(
  { weight: 8, arbitrary: fc.array(fc.tuple(docKey, modelOf(docKey)), { maxLength: 6 }).map((e) => new Map(e) as M) },
  { weight: 1, arbitrary: modelOf(docKey) },
);
const valueModel = modelOf(anyKey);

const segment = (t: string) => `/${t.replace(/~/g, "~0").replace(/\//g, "~1")}`;

/**
 * Where an operation points. Mostly at a node that exists in the current document (`pick`), maybe
 * one hostile token further (`extra`), so that operations succeed often enough to matter; the rest
 * are random pointers, malformed ones included.
 */
type PointerSpec = { pick: number; extra?: string } | { raw: string };

const pointerSpec: fc.Arbitrary<PointerSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ pick: fc.nat(), extra: anyKey }) },
  { weight: 3, arbitrary: fc.array(anyKey, { maxLength: 4 }).map((ts) => ({ raw: ts.map(segment).join("") })) },
  { weight: 1, arbitrary: fc.constantFrom("a", "#/a", "/~", "/a~2", "/a/~x", "/0/-/1", "/-", "/01").map((raw) => ({ raw })) },
);

function paths(m: M, prefix: string[] = [], out: string[][] = []): string[][] {
  out.push(prefix);
  if (Array.isArray(m)) for (let i = 0; i < m.length; i++) paths(m[i]!, [...prefix, String(i)], out);
  else if (isMap(m)) for (const [k, v] of m) paths(v, [...prefix, k], out);
  return out;
}

function resolve(spec: PointerSpec, model: M): string {
  if ("raw" in spec) return spec.raw;
  const all = paths(model);
  const tokens = [...all[spec.pick % all.length]!];
  if (spec.extra !== undefined) tokens.push(spec.extra);
  return tokens.map(segment).join("");
}

interface PatchOpSpec {
  op: string;
  path: PointerSpec;
  from?: PointerSpec;
  value?: M;
}

const patchOp: fc.Arbitrary<PatchOpSpec> = fc.record(
  {
    op: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom("add", "remove", "replace", "move", "copy", "test") },
      { weight: 1, arbitrary: fc.constant("bogus") },
    ),
    path: pointerSpec,
    from: pointerSpec,
    value: valueModel,
  },
  { requiredKeys: ["op", "path"] },
);

type OpSpec =
  | { kind: "get" | "del"; pointer: PointerSpec }
  | { kind: "set"; pointer: PointerSpec; value: M; copyExisting: boolean }
  | { kind: "incr"; pointer: PointerSpec; by: number }
  | { kind: "merge"; patch: M }
  | { kind: "patch"; ops: PatchOpSpec[]; testExisting: boolean };

type Op =
  | { kind: "get" | "del"; pointer: string }
  | { kind: "set"; pointer: string; value: M }
  | { kind: "incr"; pointer: string; by: number }
  | { kind: "merge"; patch: M }
  | { kind: "patch"; ops: PatchOp[] };

const operation: fc.Arbitrary<OpSpec> = fc.oneof(
  fc.record({ kind: fc.constantFrom("get" as const, "del" as const), pointer: pointerSpec }),
  fc.record({ kind: fc.constant("set" as const), pointer: pointerSpec, value: valueModel, copyExisting: fc.boolean() }),
  fc.record({
    kind: fc.constant("incr" as const),
    pointer: pointerSpec,
    by: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.25, 2 ** 53, 1e308)),
  }),
  fc.record({ kind: fc.constant("merge" as const), patch: valueModel }),
  fc.record({ kind: fc.constant("patch" as const), ops: fc.array(patchOp, { minLength: 1, maxLength: 3 }), testExisting: fc.boolean() }),
);

/** Turns a spec into a concrete operation against the current model. */
function concrete(spec: OpSpec, model: M): Op {
  switch (spec.kind) {
    case "get":
    case "del":
      return { kind: spec.kind, pointer: resolve(spec.pointer, model) };
    case "set": {
      const pointer = resolve(spec.pointer, model);
      // Half the time, write back (a copy of) the value already there: a change of nothing but identity.
      return { kind: "set", pointer, value: spec.copyExisting ? mClone(mGetSafe(model, spec.pointer) ?? spec.value) : spec.value };
    }
    case "incr":
      return { kind: "incr", pointer: resolve(spec.pointer, model), by: spec.by };
    case "merge":
      return spec;
    case "patch":
      return {
        kind: "patch",
        ops: spec.ops.map((o) => {
          const path = resolve(o.path, model);
          // A test of the value that is really there, so that passing tests are common too.
          const value = o.op === "test" && spec.testExisting ? (mGetSafe(model, o.path) ?? o.value) : o.value;
          return { op: o.op, path, ...(o.from !== undefined && { from: resolve(o.from, model) }), ...(value !== undefined && { value }) };
        }),
      };
  }
}

function mGetSafe(model: M, spec: PointerSpec): M | undefined {
  try {
    return mGet(model, mParse(resolve(spec, model)));
  } catch {
    return undefined;
  }
}

// ---------- running one operation both ways ----------

function runModel(doc: M, op: Op): Outcome & { got?: M | undefined } {
  try {
    switch (op.kind) {
      case "get":
        return { ok: doc, got: mGet(doc, mParse(op.pointer)) };
      case "set": {
        const tokens = mParse(op.pointer);
        if (mHasProto(op.value)) fail("E_VALIDATION");
        return { ok: mSet(doc, tokens, op.value) };
      }
      case "del":
        return { ok: mExisting(doc, mParse(op.pointer), true) };
      case "incr":
        return { ok: mIncrement(doc, op.pointer, op.by) };
      case "merge":
        if (mHasProto(op.patch)) fail("E_VALIDATION");
        return { ok: mMerge(doc, op.patch) };
      case "patch":
        return { ok: mPatch(doc, op.ops) };
    }
  } catch (err) {
    if (err instanceof ModelError) return { error: err.code };
    throw err;
  }
}

function runReal(doc: JsonValue, op: Op): { ok: JsonValue; got?: JsonValue | undefined } | { error: string } {
  try {
    switch (op.kind) {
      case "get":
        return { ok: doc, got: getAt(doc, op.pointer) };
      case "set":
        return { ok: setAt(doc, op.pointer, toJson(op.value)) };
      case "del":
        return { ok: deleteAt(doc, op.pointer) };
      case "incr":
        return { ok: incrementAt(doc, op.pointer, op.by).document };
      case "merge":
        return { ok: mergePatch(doc, toJson(op.patch)) };
      case "patch":
        return {
          ok: applyPatch(
            doc,
            op.ops.map((o) => {
              const raw: Record<string, JsonValue> = { op: o.op, path: o.path };
              if (o.from !== undefined) raw.from = o.from;
              if (o.value !== undefined) raw.value = toJson(o.value);
              return raw;
            }),
          ),
        };
    }
  } catch (err) {
    // Anything but a typed error (a TypeError from writing to a frozen input, a RangeError…) fails the test.
    if (isStatehouseError(err)) return { error: err.code };
    throw err;
  }
}

describe("prototype pollution fuzz (TESTPLAN)", () => {
  it(`${RUNS * OPS_PER_RUN} random pointer/patch/merge operations with hostile keys: no pollution, same answers as the reference model`, () => {
    const before = snapshot();
    expect(pollution(before)).toBeUndefined();
    let operations = 0;
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(docModel, fc.array(operation, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), (startModel, specs) => {
        let model = startModel;
        let doc = deepFreeze(toJson(model));
        for (const spec of specs) {
          const op = concrete(spec, model);
          const text = JSON.stringify(doc);
          const expected = runModel(model, op);
          const actual = runReal(doc, op);
          operations++;
          const polluted = pollution(before);
          if (polluted !== undefined) throw new Error(`after ${JSON.stringify(op)}: ${polluted}`);
          expect(JSON.stringify(doc), "the input was modified").toBe(text);
          const label = `${op.kind} ${"error" in expected ? expected.error : "ok"}`;
          outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
          if ("error" in expected) {
            expect(actual, JSON.stringify(op)).toEqual({ error: expected.error });
            continue;
          }
          if ("error" in actual) throw new Error(`${JSON.stringify(op)}: the model succeeded, the implementation threw ${actual.error}`);
          expect(canon(fromJson(actual.ok)), JSON.stringify(op)).toBe(canon(expected.ok));
          if (op.kind === "get") {
            expect(actual.got === undefined ? "undefined" : canon(fromJson(actual.got))).toBe(
              expected.got === undefined ? "undefined" : canon(expected.got),
            );
          }
          model = expected.ok;
          doc = deepFreeze(actual.ok);
        }
      }),
      { numRuns: RUNS },
    );
    expect(pollution(before)).toBeUndefined();
    expect(operations).toBeGreaterThanOrEqual(10_000);
    // The fuzz must reach both the successes and the refusals of every kind of operation.
    for (const kind of ["get", "set", "del", "incr", "merge", "patch"])
      expect(outcomes.get(`${kind} ok`) ?? 0, `${kind} ok`).toBeGreaterThan(50);
    for (const label of [
      "set E_INVALID_PATH",
      "set E_VALIDATION",
      "del E_NOT_FOUND",
      "patch E_CONFLICT",
      "patch E_NOT_FOUND",
      "merge E_VALIDATION",
      "incr E_VALIDATION",
    ]) {
      expect(outcomes.get(label) ?? 0, label).toBeGreaterThan(10);
    }
  });
});
