import { InvalidQueryError } from "../errors.js";

/** The largest and smallest integers RFC 9535 allows as indexes and slice bounds (I-JSON range). */
export const MAX_SAFE_INDEX = 2 ** 53 - 1;

/**
 * The lexical layer of the RFC 9535 grammar: position, whitespace, string literals, integers,
 * numbers and names. Errors name the character offset (0-based UTF-16 index) where the query
 * stopped making sense.
 */
export class Scanner {
  pos = 0;

  constructor(readonly src: string) {}

  fail(message: string, at: number = this.pos): never {
    const shown = this.src.length > 200 ? `${this.src.slice(0, 200)}…` : this.src;
    const found = at < this.src.length ? `'${this.src[at]}'` : "end of query";
    throw new InvalidQueryError(`invalid JSONPath query at character ${at} (${found}): ${message}, in ${JSON.stringify(shown)}`, {
      details: { reason: "syntax", offset: at, expression: this.src },
    });
  }

  peek(offset = 0): string {
    return this.src.charAt(this.pos + offset);
  }

  code(offset = 0): number {
    const i = this.pos + offset;
    return i < this.src.length ? this.src.charCodeAt(i) : -1;
  }

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  eat(text: string): boolean {
    if (this.src.startsWith(text, this.pos)) {
      this.pos += text.length;
      return true;
    }
    return false;
  }

  expect(text: string, what: string = `'${text}'`): void {
    if (!this.eat(text)) this.fail(`expected ${what}`);
  }

  /** S = *B, B = space / tab / LF / CR. */
  skipS(): void {
    for (;;) {
      const c = this.code();
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else return;
    }
  }

  /** string-literal, with either quote; returns the decoded string. */
  stringLiteral(): string {
    const quote = this.code();
    const start = this.pos;
    this.pos++;
    let out = "";
    let chunk = this.pos;
    for (;;) {
      const c = this.code();
      if (c < 0) this.fail("unterminated string literal", start);
      if (c === quote) {
        out += this.src.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail("control character in string literal (escape it)");
      if (c >= 0xd800 && c <= 0xdfff) this.surrogatePair();
      else if (c === 0x5c /* \ */) {
        out += this.src.slice(chunk, this.pos);
        out += this.escape(quote);
        chunk = this.pos;
      } else this.pos++;
    }
  }

  /** Consumes a well-formed surrogate pair in the query text (a lone surrogate is an error). */
  private surrogatePair(): void {
    const c = this.code();
    const next = this.code(1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) this.pos += 2;
    else this.fail("lone surrogate");
  }

  private escape(quote: number): string {
    this.pos++; // the backslash
    const c = this.peek();
    this.pos++;
    switch (c) {
      case "b":
        return "\b";
      case "f":
        return "\f";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case "/":
        return "/";
      case "\\":
        return "\\";
      case "u":
        return this.unicodeEscape();
      default:
        // Only the literal's own quote may be escaped, not the other one.
        if (c.charCodeAt(0) === quote) return c;
        return this.fail("invalid escape sequence", this.pos - 2);
    }
  }

  private unicodeEscape(): string {
    const at = this.pos - 2;
    const unit = this.hex4(at);
    if (unit >= 0xdc00 && unit <= 0xdfff) this.fail("unpaired low surrogate escape", at);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (!this.eat("\\u")) this.fail("high surrogate escape not followed by a low surrogate escape", at);
      const low = this.hex4(at);
      if (low < 0xdc00 || low > 0xdfff) this.fail("high surrogate escape not followed by a low surrogate escape", at);
      return String.fromCharCode(unit, low);
    }
    return String.fromCharCode(unit);
  }

  private hex4(at: number): number {
    const text = this.src.slice(this.pos, this.pos + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(text)) this.fail("expected four hexadecimal digits after \\u", at);
    this.pos += 4;
    return Number.parseInt(text, 16);
  }

  isDigit(offset = 0): boolean {
    const c = this.code(offset);
    return c >= 0x30 && c <= 0x39;
  }

  /** True if an `int` starts here. */
  atInt(): boolean {
    return this.isDigit() || (this.peek() === "-" && this.isDigit(1));
  }

  /** int = "0" / ( [ "-" ] DIGIT1 *DIGIT ), within ±(2^53 − 1). */
  int(): number {
    const start = this.pos;
    this.eat("-");
    if (!this.isDigit()) this.fail("expected an integer");
    if (this.peek() === "0") {
      this.pos++;
      if (this.isDigit()) this.fail("leading zeros are not allowed", start);
      if (this.pos - start === 2) this.fail("-0 is not a valid integer here", start);
      return 0;
    }
    while (this.isDigit()) this.pos++;
    const value = Number(this.src.slice(start, this.pos));
    if (value > MAX_SAFE_INDEX || value < -MAX_SAFE_INDEX) this.fail("integer out of range (±2^53−1)", start);
    return value;
  }

  /** number = ( int / "-0" ) [ frac ] [ exp ]. */
  number(): number {
    const start = this.pos;
    this.eat("-");
    if (!this.isDigit()) this.fail("expected a number");
    if (this.peek() === "0") {
      this.pos++;
      if (this.isDigit()) this.fail("leading zeros are not allowed", start);
    } else while (this.isDigit()) this.pos++;
    if (this.peek() === ".") {
      this.pos++;
      if (!this.isDigit()) this.fail("expected a digit after the decimal point");
      while (this.isDigit()) this.pos++;
    }
    if (this.peek() === "e" || this.peek() === "E") {
      this.pos++;
      if (this.peek() === "+" || this.peek() === "-") this.pos++;
      if (!this.isDigit()) this.fail("expected a digit in the exponent");
      while (this.isDigit()) this.pos++;
    }
    return Number(this.src.slice(start, this.pos));
  }

  /** True if a member-name-shorthand can start here (ALPHA / "_" / non-ASCII). */
  atNameFirst(): boolean {
    const c = this.code();
    return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
  }

  /** member-name-shorthand = name-first *name-char. */
  memberName(): string {
    const start = this.pos;
    if (!this.atNameFirst()) this.fail("expected a member name");
    for (;;) {
      const c = this.code();
      if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || (c >= 0x30 && c <= 0x39)) this.pos++;
      else if (c >= 0xd800 && c <= 0xdfff) this.surrogatePair();
      else if (c >= 0x80) this.pos++;
      else break;
    }
    return this.src.slice(start, this.pos);
  }

  /** An identifier of lowercase letters, digits and "_" (function names, true/false/null). */
  word(): string {
    const start = this.pos;
    for (;;) {
      const c = this.code();
      if ((c >= 0x61 && c <= 0x7a) || c === 0x5f || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a)) this.pos++;
      else break;
    }
    return this.src.slice(start, this.pos);
  }
}
