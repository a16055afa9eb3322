import { describe, expect, it } from "vitest";
import { ConflictError, ERROR_CODES, NotFoundError, StatehouseError, ValidationError, isStatehouseError } from "../dist/index.js";
import { conflict, fromSystemError } from "../dist/spi.js";

describe("errors", () => {
  it("every error has a stable code and is a StatehouseError", () => {
    const e = new NotFoundError("missing");
    expect(e.code).toBe("E_NOT_FOUND");
    expect(e).toBeInstanceOf(StatehouseError);
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e).not.toBeInstanceOf(ConflictError);
    expect(e.name).toBe("NotFoundError");
    expect(ERROR_CODES).toContain(e.code);
  });

  it("is recognised across duplicate package copies by its registry brand", () => {
    // A plain object branded the way a second copy of the package would brand its errors.
    const foreign = Object.assign(new Error("from another copy"), { code: "E_CONFLICT" });
    Object.defineProperty(foreign, Symbol.for("statehouse.error"), { value: true });
    expect(isStatehouseError(foreign)).toBe(true);
    expect(isStatehouseError(foreign, "E_CONFLICT")).toBe(true);
    expect(foreign instanceof ConflictError).toBe(true);
    expect(foreign instanceof NotFoundError).toBe(false);
    expect(isStatehouseError(new Error("plain"))).toBe(false);
  });

  it("a conflict carries the current revision", () => {
    const e = conflict("state", "global", 7, "revision 6");
    expect(e.code).toBe("E_CONFLICT");
    expect(e.currentRevision).toBe(7);
    expect(e.message).toContain("revision 6");
  });

  it("maps system errors to typed ones, keeping the cause", () => {
    const enospc = Object.assign(new Error("no space"), { code: "ENOSPC" });
    const full = fromSystemError(enospc, "writing");
    expect(full.code).toBe("E_STORAGE_FULL");
    expect(full.cause).toBe(enospc);
    expect(fromSystemError(Object.assign(new Error("x"), { code: "EACCES" }), "w").code).toBe("E_PERMISSION");
    expect(fromSystemError(Object.assign(new Error("x"), { code: "EIO" }), "w").code).toBe("E_IO");
    const v = new ValidationError("bad", { details: { issues: ["a", "b"] } });
    expect(fromSystemError(v, "w")).toBe(v);
    expect(v.issues).toEqual(["a", "b"]);
  });

  it("serialises to JSON with code, message and details", () => {
    const e = new ValidationError("bad value", { details: { issues: ["x"] } });
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: "E_VALIDATION", message: "bad value", details: { issues: ["x"] } });
  });
});
