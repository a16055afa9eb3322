import { createRequire } from "node:module";
import type { RE2JS } from "re2js";
import { LruCache } from "./lru-cache.js";
import type { WorkMeter } from "./values.js";

/**
 * I-Regexp (RFC 9485) for the `match()` and `search()` functions, run on re2js, a linear-time
 * engine: the patterns come from queries and even from documents, so a backtracking engine would
 * let `(a+)+$` against "aaaa…b" freeze the process.
 *
 * The pattern is parsed by the RFC 9485 grammar and re-emitted in RE2 syntax rather than handed
 * over as is, because the dialects differ: in I-Regexp `.` excludes only \n and \r (RE2's `.`
 * matches \r), and RE2 accepts much that I-Regexp forbids (`\d`, `(?:`, lazy quantifiers…),
 * which must make the pattern invalid instead.
 *
 * `^` and `$`: the RFC 9485 grammar lists them as ordinary characters, but its own mapping to
 * ECMAScript regexps (§5.3) passes them through as anchors, and the compliance suite expects
 * that (`match(@, '^ab.*')` matches "abc"). They are anchors here too: `^` at the start and `$` at
 * the end of the string (RE2 without multi-line mode, like ECMAScript without the m flag).
 *
 * Linear time is not small time. RE2 expands counted repetition (`x{300}` is 300 instructions),
 * compiling costs tens of microseconds per instruction in re2js, and when its DFA gives up a match
 * costs (string length × program size). Hence the size model below: a pattern's size is its
 * expanded instruction count (a Unicode category counts 8, for its large tables); patterns over
 * {@link MAX_REGEXP_SIZE} and single matches over {@link MAX_MATCH_WORK} are refused (the query
 * fails with a limit error rather than give an answer it did not compute), and the rest is
 * charged to the query's budget.
 */

/** Largest expanded pattern size accepted; e.g. `[0-9a-f]{8}-[0-9a-f]{4}` is 14. */
export const MAX_REGEXP_SIZE = 400;
/** Largest (string length × pattern size) matched in one call, which cannot be interrupted. */
export const MAX_MATCH_WORK = 1_000_000;
/** Longest pattern text parsed; longer ones are refused as too large. */
export const MAX_PATTERN_LENGTH = 4096;
/** Budget visits charged per unit of pattern size when a pattern is compiled. */
const COMPILE_VISITS_PER_UNIT = 16;
const CATEGORY_SIZE = 8;

export interface CompiledIRegexp {
  /** Whole-string match (`match()`). */
  readonly full: RE2JS;
  /** Match anywhere (`search()`). */
  readonly partial: RE2JS;
  /** Expanded size (see the size model above). */
  readonly size: number;
}

/** A valid I-Regexp that is too large to run within the limits. */
export interface OversizedIRegexp {
  readonly oversized: true;
  readonly size: number;
}

class IRegexpSyntaxError extends Error {}

type Re2Module = typeof import("re2js");
let engine: Re2Module | undefined;

/**
 * re2js, loaded on first use rather than when core is imported: most processes (every CLI hook
 * among them) never run a regular expression, and loading it and building its first program
 * costs tens of milliseconds. The first call also compiles and runs a small pattern, so that this
 * one-time cost is paid by the caller that asks for it (query compilation, not a query's run,
 * whose clock it would otherwise eat).
 */
export function regexEngine(): Re2Module {
  if (engine === undefined) {
    const loaded = createRequire(import.meta.url)("re2js") as Re2Module;
    loaded.RE2JS.compile("^(?:a[^\\x{a}\\x{d}]*b|c)$").test("axb");
    engine = loaded;
  }
  return engine;
}

type CacheEntry = CompiledIRegexp | OversizedIRegexp | null;
// Invalid and oversized patterns are cached too, since a document can repeat the same pattern.
const cache = new LruCache<string, CacheEntry>(256);

/**
 * The compiled pattern; null if it is not a valid I-Regexp (then match/search are false); an
 * OversizedIRegexp if it is valid but over the size limit. A compilation is charged to `meter`.
 */
export function compileIRegexp(pattern: string, meter?: WorkMeter): CacheEntry {
  const cached = cache.get(pattern);
  if (cached !== undefined) return cached;
  let entry: CacheEntry = null;
  try {
    const { text, size } = translate(pattern);
    if (size > MAX_REGEXP_SIZE) entry = { oversized: true, size };
    else {
      meter?.charge(size * COMPILE_VISITS_PER_UNIT);
      const { RE2JS } = regexEngine();
      entry = { full: RE2JS.compile(`^(?:${text})$`), partial: RE2JS.compile(text), size };
      meter?.checkClock();
    }
  } catch (err) {
    // Our grammar refused it, or re2js did (its own errors all extend RE2JSException).
    if (!(err instanceof IRegexpSyntaxError) && !(err instanceof regexEngine().RE2JSException)) throw err;
    entry = null;
  }
  cache.set(pattern, entry);
  return entry;
}

/** Translates an I-Regexp to an equivalent RE2 pattern; throws if it is not a valid I-Regexp. */
export function translateIRegexp(pattern: string): string {
  return translate(pattern).text;
}

function translate(pattern: string): Piece {
  if (pattern.length > MAX_PATTERN_LENGTH) return { text: "", size: Number.POSITIVE_INFINITY };
  const translator = new Translator(pattern);
  const out = translator.regexp();
  if (translator.pos !== pattern.length) throw new IRegexpSyntaxError(`unexpected character at ${translator.pos}`);
  return out;
}

const CATEGORY = /^(?:L[lmotu]?|M[cen]?|N[dlo]?|P[c-fios]?|Z[lps]?|S[ckmo]?|C[cfno]?)$/;

function emitCodePoint(cp: number): string {
  // Letters and digits as they are; everything else as \x{…}, which is never a metacharacter in RE2.
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) {
    return String.fromCharCode(cp);
  }
  return `\\x{${cp.toString(16)}}`;
}

interface Piece {
  readonly text: string;
  /** Expanded size: instructions after RE2 unrolls counted repetition. */
  readonly size: number;
}

class Translator {
  pos = 0;
  private depth = 0;

  constructor(private readonly src: string) {}

  private fail(what: string): never {
    throw new IRegexpSyntaxError(`${what} at ${this.pos}`);
  }

  private peek(): number {
    return this.pos < this.src.length ? this.src.codePointAt(this.pos)! : -1;
  }

  private next(): number {
    const cp = this.peek();
    if (cp < 0) this.fail("unexpected end");
    if (cp >= 0xd800 && cp <= 0xdfff) this.fail("lone surrogate");
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  /** i-regexp = branch *( "|" branch ) */
  regexp(): Piece {
    if (++this.depth > 64) this.fail("groups nested too deeply");
    const first = this.branch();
    let text = first.text;
    let size = first.size;
    while (this.peek() === 0x7c /* | */) {
      this.pos++;
      const next = this.branch();
      text += `|${next.text}`;
      size += next.size + 1;
    }
    this.depth--;
    return { text, size };
  }

  private branch(): Piece {
    let text = "";
    let size = 0;
    for (;;) {
      const cp = this.peek();
      if (cp < 0 || cp === 0x7c /* | */ || cp === 0x29 /* ) */) return { text, size };
      const piece = this.piece();
      text += piece.text;
      size += piece.size;
    }
  }

  /** piece = atom [ quantifier ] */
  private piece(): Piece {
    const atom = this.atom();
    const count = this.quantifier();
    if (count.text === "") return atom;
    // Sizes only grow, so capping keeps nested counts from overflowing to Infinity and back.
    return { text: atom.text + count.text, size: Math.min(atom.size * count.max + 1, Number.MAX_SAFE_INTEGER) };
  }

  private quantifier(): { text: string; max: number } {
    const cp = this.peek();
    if (cp === 0x2a /* * */ || cp === 0x2b /* + */ || cp === 0x3f /* ? */) {
      this.pos++;
      // Unbounded repetition is a loop in RE2: it does not multiply the program size.
      return { text: String.fromCharCode(cp), max: 1 };
    }
    if (cp !== 0x7b /* { */) return { text: "", max: 1 };
    this.pos++;
    const min = this.digits();
    let max = min;
    let text = `{${min}`;
    if (this.peek() === 0x2c /* , */) {
      this.pos++;
      text += ",";
      if (this.peek() >= 0x30 && this.peek() <= 0x39) {
        max = this.digits();
        if (max < min) this.fail("repetition range out of order");
        text += String(max);
      }
    }
    if (this.peek() !== 0x7d /* } */) this.fail("expected '}'");
    this.pos++;
    // `{n,}` unrolls n copies; counts past the size limit only need to stay large, not exact.
    return { text: `${text}}`, max: Math.max(max, min, 1) };
  }

  private digits(): number {
    const start = this.pos;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    if (this.pos === start) this.fail("expected a digit");
    const text = this.src.slice(start, this.pos);
    // Any count this long is over the size limit; Number() would only round it.
    return text.length > 7 ? 10_000_000 : Number(text);
  }

  private atom(): Piece {
    const cp = this.peek();
    switch (cp) {
      case 0x28 /* ( */:
        {
          this.pos++;
          const inner = this.regexp();
          if (this.peek() !== 0x29 /* ) */) this.fail("expected ')'");
          this.pos++;
          return { text: `(?:${inner.text})`, size: inner.size + 1 };
        }
      case 0x2e /* . */:
        this.pos++;
        return { text: "[^\\x{a}\\x{d}]", size: 1 };
      case 0x5b /* [ */:
        return this.charClassExpr();
      case 0x5c /* \ */:
        {
          const text = this.escape();
          return { text, size: text.startsWith("\\p") || text.startsWith("\\P") ? CATEGORY_SIZE : 1 };
        }
      case 0x5e /* ^ */:
        this.pos++;
        return { text: "^", size: 1 };
      case 0x24 /* $ */:
        this.pos++;
        return { text: "$", size: 1 };
      case 0x29 /* ) */:
      case 0x2a /* * */:
      case 0x2b /* + */:
      case 0x3f /* ? */:
      case 0x5d /* ] */:
      case 0x7b /* { */:
      case 0x7c /* | */:
      case 0x7d /* } */:
        return this.fail("unexpected metacharacter");
      default:
        return { text: emitCodePoint(this.next()), size: 1 };
    }
  }

  /** SingleCharEsc / catEsc / complEsc, as RE2 text. */
  private escape(): string {
    this.pos++; // the backslash
    const cp = this.peek();
    if (cp === 0x70 /* p */ || cp === 0x50 /* P */) {
      this.pos++;
      if (this.peek() !== 0x7b) this.fail("expected '{'");
      const close = this.src.indexOf("}", this.pos);
      if (close < 0) this.fail("expected '}'");
      const name = this.src.slice(this.pos + 1, close);
      if (!CATEGORY.test(name)) this.fail("unknown character category");
      this.pos = close + 1;
      return `\\${cp === 0x70 ? "p" : "P"}{${name}}`;
    }
    const single = this.singleCharEscape(cp);
    if (single < 0) this.fail("invalid escape");
    this.pos++;
    return emitCodePoint(single);
  }

  private singleCharEscape(cp: number): number {
    if (cp === 0x6e /* n */) return 0x0a;
    if (cp === 0x72 /* r */) return 0x0d;
    if (cp === 0x74 /* t */) return 0x09;
    const escapable =
      (cp >= 0x28 && cp <= 0x2b) || cp === 0x2d || cp === 0x2e || cp === 0x3f || (cp >= 0x5b && cp <= 0x5e) || (cp >= 0x7b && cp <= 0x7d);
    return escapable ? cp : -1;
  }

  /** charClassExpr = "[" [ "^" ] ( "-" / CCE1 ) *CCE1 [ "-" ] "]" */
  private charClassExpr(): Piece {
    this.pos++; // [
    let out = "[";
    if (this.peek() === 0x5e /* ^ */) {
      this.pos++;
      out += "^";
    }
    let items = 0;
    let size = 1;
    if (this.peek() === 0x2d /* - */) {
      this.pos++;
      out += emitCodePoint(0x2d);
      items++;
    }
    for (;;) {
      const cp = this.peek();
      if (cp === 0x5d /* ] */) break;
      if (cp === 0x2d /* - */) {
        // Only allowed as the very last character of the class.
        this.pos++;
        if (this.peek() !== 0x5d || items === 0) this.fail("misplaced '-' in class");
        out += emitCodePoint(0x2d);
        items++;
        break;
      }
      if (cp === 0x5c /* \ */ && (this.src[this.pos + 1] === "p" || this.src[this.pos + 1] === "P")) {
        out += this.escape();
        items++;
        size += CATEGORY_SIZE;
        continue;
      }
      const low = this.classChar();
      if (this.peek() === 0x2d && this.src[this.pos + 1] !== "]") {
        this.pos++;
        const high = this.classChar();
        if (high < low) this.fail("class range out of order");
        out += `${emitCodePoint(low)}-${emitCodePoint(high)}`;
      } else {
        out += emitCodePoint(low);
      }
      items++;
    }
    if (items === 0) this.fail("empty class");
    this.pos++; // ]
    return { text: `${out}]`, size };
  }

  /** CCchar: a code point, possibly escaped; `[`, `]`, `\` and `-` only escaped. */
  private classChar(): number {
    const cp = this.peek();
    if (cp < 0) this.fail("unterminated class");
    if (cp === 0x5c /* \ */) {
      this.pos++;
      const single = this.singleCharEscape(this.peek());
      if (single < 0) this.fail("invalid escape in class");
      this.pos++;
      return single;
    }
    if (cp === 0x5b || cp === 0x5d || cp === 0x2d) this.fail("unescaped metacharacter in class");
    return this.next();
  }
}
