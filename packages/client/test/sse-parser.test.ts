import { seededRandom } from "@statehouse/conformance/testing";
import { describe, expect, it } from "vitest";
import { SseParser } from "../src/sse-parser.js";

const STREAM =
  "retry: 1000\n: resuming after 0\n\n" +
  'id: 1\nevent: change\ndata: {"sequence":1}\n\n' +
  "id: 2\r\nevent: change\r\ndata: line one\r\ndata: line two\r\n\r\n" +
  ": keep-alive\r\rid: 5\r\r" +
  "event: reset\ndata:{}\nid: bad\0id\n\n";

describe("the client's event-stream parser", () => {
  it("dispatches on blank lines with LF, CRLF and CR endings; joins data lines; id-only events move the id", () => {
    const events = new SseParser().push(STREAM);
    expect(events).toEqual([
      { lastEventId: "1", hasId: true, event: "change", data: '{"sequence":1}' },
      { lastEventId: "2", hasId: true, event: "change", data: "line one\nline two" },
      { lastEventId: "5", hasId: true, event: "message", data: undefined },
      // An id holding NUL is ignored (the spec's rule): the last id stays 5.
      { lastEventId: "5", hasId: false, event: "reset", data: "{}" },
    ]);
  });

  it("gives the same events however the stream is cut into chunks (CRLF split across chunks included)", () => {
    const whole = new SseParser().push(STREAM);
    const random = seededRandom(11);
    for (let round = 0; round < 200; round++) {
      const p = new SseParser();
      const got = [];
      let at = 0;
      while (at < STREAM.length) {
        const n = 1 + Math.floor(random() * 12);
        got.push(...p.push(STREAM.slice(at, at + n)));
        at += n;
      }
      expect(got, `round ${round}`).toEqual(whole);
    }
  });

  it("an event that never ends is bounded: a typed E_IO once it passes the limit", () => {
    const p = new SseParser(1000);
    expect(() => {
      for (let i = 0; i < 100; i++) p.push(`data: ${"x".repeat(50)}\n`);
    }).toThrow(expect.objectContaining({ code: "E_IO" }));
  });
});
