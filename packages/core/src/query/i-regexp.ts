import { RE2JS } from "re2js";
import { LruCache } from "./lru-cache.js";

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
 */

/** Largest repetition count, and product of nested counts, accepted (RE2's own limit is 1,000). */
const MAX_REPEAT = 1000;
/** Longest pattern compiled; longer ones are treated as invalid, bounding compile time and memory. */
export const MAX_PATTERN_LENGTH = 4096;

export interface CompiledIRegexp {
  /** Whole-string match (`match()`). */
  readonly full: RE2JS;
  /** Match anywhere (`search()`). */
  readonly partial: RE2JS;
}

class IRegexpSyntaxError extends Error {}

// Invalid patterns are cached too (as null), since a document can repeat the same bad pattern.
const cache = new LruCache<string, CompiledIRegexp | null>(256);

/** The compiled pattern, or null if it is not a valid I-Regexp (then match/search are false). */
export function compileIRegexp(pattern: string): CompiledIRegexp | null {
  const cached = cache.get(pattern);
  if (cached !== undefined) return cached;
  let compiled: CompiledIRegexp | null = null;
  try {
    const re2 = translateIRegexp(pattern);
    compiled = { full: RE2JS.compile(`^(?:${re2})$`), partial: RE2JS.compile(re2) };
  } catch {
    // Either our grammar or RE2 (e.g. an out-of-range class) refused it.
    compiled = null;
  }
  cache.set(pattern, compiled);
  return compiled;
}

/** Translates an I-Regexp to an equivalent RE2 pattern; throws if it is not a valid I-Regexp. */
export function translateIRegexp(pattern: string): string {
  if (pattern.length > MAX_PATTERN_LENGTH) throw new IRegexpSyntaxError("pattern too long");
  const translator = new Translator(pattern);
  const out = translator.regexp();
  if (translator.pos !== pattern.length) throw new IRegexpSyntaxError(`unexpected character at ${translator.pos}`);
  return out.text;
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
  readonly weight: number;
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

  /**
   * i-regexp = branch *( "|" branch ). Returns the RE2 text and the product of the nested
   * repetition counts inside it, which RE2 expands into program size and so must stay bounded.
   */
  regexp(): Piece {
    if (++this.depth > 64) this.fail("groups nested too deeply");
    const first = this.branch();
    let text = first.text;
    let weight = first.weight;
    while (this.peek() === 0x7c /* | */) {
      this.pos++;
      const next = this.branch();
      text += `|${next.text}`;
      weight = Math.max(weight, next.weight);
    }
    this.depth--;
    return { text, weight };
  }

  private branch(): Piece {
    let text = "";
    let weight = 1;
    for (;;) {
      const cp = this.peek();
      if (cp < 0 || cp === 0x7c /* | */ || cp === 0x29 /* ) */) return { text, weight };
      const piece = this.piece();
      text += piece.text;
      weight = Math.max(weight, piece.weight);
    }
  }

  /** piece = atom [ quantifier ] */
  private piece(): Piece {
    const atom = this.atom();
    const count = this.quantifier();
    const weight = atom.weight * count.max;
    if (weight > MAX_REPEAT) this.fail("nested repetition too large");
    return { text: atom.text + count.text, weight };
  }

  private quantifier(): { text: string; max: number } {
    const cp = this.peek();
    if (cp === 0x2a /* * */ || cp === 0x2b /* + */ || cp === 0x3f /* ? */) {
      this.pos++;
      // Unbounded repetition does not multiply program size in RE2.
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
    if (min > MAX_REPEAT || max > MAX_REPEAT) this.fail("repetition count too large");
    return { text: `${text}}`, max: Math.max(max, 1) };
  }

  private digits(): number {
    const start = this.pos;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    if (this.pos === start) this.fail("expected a digit");
    const text = this.src.slice(start, this.pos);
    // Long digit strings are refused before Number() can round them.
    return text.length > 7 ? Number.POSITIVE_INFINITY : Number(text);
  }

  private atom(): Piece {
    const cp = this.peek();
    switch (cp) {
      case 0x28 /* ( */: {
        this.pos++;
        const inner = this.regexp();
        if (this.peek() !== 0x29 /* ) */) this.fail("expected ')'");
        this.pos++;
        return { text: `(?:${inner.text})`, weight: inner.weight };
      }
      case 0x2e /* . */:
        this.pos++;
        return { text: "[^\\x{a}\\x{d}]", weight: 1 };
      case 0x5b /* [ */:
        return { text: this.charClassExpr(), weight: 1 };
      case 0x5c /* \ */:
        return { text: this.escape(), weight: 1 };
      case 0x5e /* ^ */:
        this.pos++;
        return { text: "^", weight: 1 };
      case 0x24 /* $ */:
        this.pos++;
        return { text: "$", weight: 1 };
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
        return { text: emitCodePoint(this.next()), weight: 1 };
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
  private charClassExpr(): string {
    this.pos++; // [
    let out = "[";
    if (this.peek() === 0x5e /* ^ */) {
      this.pos++;
      out += "^";
    }
    let items = 0;
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
    return `${out}]`;
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
