import { ValidationError } from "@statehouse/core";
import pg from "pg";

// SQL literals for the counter-locked transaction, which sends several statements in one
// simple-query message (one round trip; the extended protocol takes one statement per Sync, and
// node-postgres waits for each). Every string goes through the driver's own escapeLiteral
// (quotes doubled, backslashes doubled under E''), every number is checked to be a safe integer,
// and bytes travel as hex: nothing the caller wrote reaches the SQL text unescaped.

/** A string as an SQL literal. NUL cannot be in PostgreSQL text and would end the message early. */
export function text(value: string): string {
  if (value.includes("\u0000")) {
    throw new ValidationError("a PostgreSQL text value cannot contain U+0000", { details: { length: value.length } });
  }
  return pg.escapeLiteral(value);
}

export function integer(value: number): string {
  if (!Number.isSafeInteger(value)) throw new ValidationError(`not a safe integer: ${String(value)}`);
  return String(value);
}

export function boolean(value: boolean): string {
  return value ? "true" : "false";
}

/** `ARRAY[…]::type[]`, or an empty array of that type. */
function array<T>(values: readonly T[], literal: (v: T) => string, type: string): string {
  return values.length === 0 ? `'{}'::${type}[]` : `ARRAY[${values.map(literal).join(",")}]::${type}[]`;
}

export function textArray(values: readonly (string | null)[]): string {
  return array(values, (v) => (v === null ? "NULL" : text(v)), "text");
}

export function bigintArray(values: readonly number[]): string {
  return array(values, integer, "bigint");
}

export function integerArray(values: readonly number[]): string {
  return array(values, integer, "integer");
}

export function byteaArray(values: readonly Buffer[]): string {
  // decode(), not '\\x…': a backslash in a plain literal is an escape when standard_conforming_strings is off.
  return array(values, (b) => `decode('${b.toString("hex")}','hex')`, "bytea");
}
