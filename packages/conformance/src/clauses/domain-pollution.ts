import { type JsonValue, isStatehouseError } from "@statehouse/core";
import type { DomainStore } from "../domain-api.js";
import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";
import { seededRandom as prng } from "../testing/seeded-random.js";
import { errorKind } from "../util/errors.js";

const SEGMENTS = [
  "__proto__",
  "constructor",
  "prototype",
  "__proto__",
  "constructor",
  "prototype",
  "polluted",
  "a",
  "0",
  "-",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
];

function prototypeSnapshot(): string {
  const describe = (o: object) => Object.getOwnPropertyNames(o).sort().join(",");
  return [
    describe(Object.prototype),
    describe(Array.prototype),
    describe(Function.prototype),
    describe(String.prototype),
    describe(Number.prototype),
  ].join("|");
}

/** Says how prototypes were polluted, or undefined when they are clean. */
function pollution(snapshot: string, originalToString: unknown): string | undefined {
  const probe = {} as Record<string, unknown>;
  if (probe.polluted !== undefined) return "({}).polluted is defined";
  if (([] as unknown as Record<string, unknown>).polluted !== undefined) return "[].polluted is defined";
  if (probe.constructor !== Object) return "({}).constructor is not Object";
  if (Object.getPrototypeOf(probe) !== Object.prototype) return "({}) has a foreign prototype";
  if (Object.prototype.toString !== originalToString) return "Object.prototype.toString was replaced";
  if (prototypeSnapshot() !== snapshot) return "a built-in prototype gained or lost properties";
  return undefined;
}

function pointer(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(SEGMENTS[Math.floor(rand() * SEGMENTS.length)]!);
  return `/${parts.join("/")}`;
}

/** A JSON object whose own keys include `__proto__` etc., as JSON.parse makes them. */
function hostileObject(rand: () => number, depth = 0): JsonValue {
  const entries: string[] = [];
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) {
    const key = SEGMENTS[Math.floor(rand() * SEGMENTS.length)]!;
    const value = depth < 2 && rand() < 0.5 ? JSON.stringify(hostileObject(rand, depth + 1)) : rand() < 0.3 ? "null" : '{"polluted":true}';
    entries.push(`${JSON.stringify(key)}:${value}`);
  }
  return JSON.parse(`{${entries.join(",")}}`) as JsonValue;
}

function fuzzOp(rand: () => number): Record<string, unknown> {
  const p = pointer(rand);
  switch (Math.floor(rand() * 7)) {
    case 0:
      return { op: "state.set", doc: "p", pointer: p, value: rand() < 0.5 ? { polluted: true } : hostileObject(rand) };
    case 1:
      return { op: "state.delete", doc: "p", pointer: p };
    case 2:
      return { op: "state.increment", doc: "p", pointer: p };
    case 3:
      return { op: "state.merge", doc: "p", patch: hostileObject(rand) };
    case 4: {
      const kinds = ["add", "replace", "remove", "copy", "move", "test"];
      const kind = kinds[Math.floor(rand() * kinds.length)]!;
      return { op: "state.patch", doc: "p", operations: [{ op: kind, path: p, from: pointer(rand), value: { polluted: true } }] };
    }
    case 5:
      return {
        op: "state.replace",
        doc: "p",
        value: rand() < 0.8 ? { a: { constructor: { prototype: { polluted: 1 } } } } : hostileObject(rand),
      };
    default:
      return { op: "state.set", doc: "p", pointer: `/a/${SEGMENTS[Math.floor(rand() * SEGMENTS.length)]!}`, value: 1 };
  }
}

async function runSingle(store: DomainStore, op: Record<string, unknown>): Promise<void> {
  const doc = store.state("p");
  switch (op.op) {
    case "state.set":
      await doc.set(op.pointer as string, op.value as JsonValue);
      return;
    case "state.delete":
      await doc.delete(op.pointer as string);
      return;
    case "state.increment":
      await doc.increment(op.pointer as string);
      return;
    case "state.merge":
      await doc.merge(op.patch as JsonValue);
      return;
    case "state.patch":
      await doc.patch(op.operations as JsonValue);
      return;
    default:
      await doc.replace(op.value as JsonValue);
  }
}

export function registerDomainPollution(s: SuiteContext): void {
  s.describeGroup("prototype-pollution", "no path or document can pollute a prototype", [requires.domain], () => {
    s.clause(
      `${s.sizes.pollutionOperations.toLocaleString("en")} fuzzed pointer / patch / merge operations with __proto__, constructor, prototype segments: 0 polluted prototypes, only typed errors`,
      async (scope) => {
        const { expect } = scope;
        const { caps } = await scope.suite.capabilities();
        // The subject is pollution, not durability: relaxed (where declared) keeps 10,000 writes quick.
        const store = await scope.openStore(caps.durability.includes("relaxed") ? { durability: "relaxed" } : {});
        const snapshot = prototypeSnapshot();
        const originalToString = Object.prototype.toString;
        const seed = Math.floor(Math.random() * 2 ** 31);
        const rand = prng(seed);
        const untyped: string[] = [];
        const kinds = new Map<string, number>();
        const note = (kind: string) => kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        let done = 0;
        const total = s.sizes.pollutionOperations;
        while (done < total) {
          // One in five goes alone; the rest in batches of 20 (a failing op rolls its batch back, after running).
          if (rand() < 0.2) {
            const op = fuzzOp(rand);
            try {
              await runSingle(store, op);
              note("ok");
            } catch (err) {
              note(errorKind(err));
              if (!isStatehouseError(err)) untyped.push(`${JSON.stringify(op)} → ${errorKind(err)}`);
            }
            done++;
          } else {
            const ops = Array.from({ length: Math.min(20, total - done) }, () => fuzzOp(rand));
            try {
              await store.batch(ops);
              note("ok (batch)");
            } catch (err) {
              note(`${errorKind(err)} (batch)`);
              if (!isStatehouseError(err)) untyped.push(`batch → ${errorKind(err)}`);
            }
            done += ops.length;
          }
          if (done % 500 < 20) {
            const p = pollution(snapshot, originalToString);
            expect(p, `after ${done} operations (seed ${seed})`).toBeUndefined();
          }
        }
        console.log(
          `[statehouse conformance: ${s.options.name}] prototype pollution fuzz (seed ${seed}): ${JSON.stringify(Object.fromEntries(kinds))}`,
        );
        expect(pollution(snapshot, originalToString), `seed ${seed}`).toBeUndefined();
        expect(untyped.slice(0, 5), `untyped errors (seed ${seed})`).toEqual([]);
        expect(kinds.get("ok") ?? 0, "some operations succeeded (the fuzz reached the store)").toBeGreaterThan(0);
        // Whatever landed is plain JSON without a __proto__ member.
        const value = await store.state("p").get();
        expect(JSON.stringify(value ?? null).includes('"__proto__"'), "a stored __proto__ key").toBe(false);
      },
    );
  });
}
