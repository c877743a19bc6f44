import { describe, expect, it } from "vitest";
import { filterRows, nextSort, sortRows } from "../app/src/lib/table.ts";

interface Row {
  id: string;
  n: number | null;
}
const rows: Row[] = [
  { id: "dev-10", n: 3 },
  { id: "dev-9", n: null },
  { id: "Dev-2", n: 1 },
];

describe("table sorting", () => {
  it("a new column sorts ascending, a second click flips it", () => {
    const first = nextSort<keyof Row & string>(undefined, "id");
    expect(first).toEqual({ key: "id", direction: "ascending" });
    expect(nextSort(first, "id")).toEqual({ key: "id", direction: "descending" });
    expect(nextSort(first, "n")).toEqual({ key: "n", direction: "ascending" });
  });

  it("sorts strings in natural order, case-insensitively, without changing the input", () => {
    expect(sortRows(rows, { key: "id", direction: "ascending" }).map((r) => r.id)).toEqual([
      "Dev-2",
      "dev-9",
      "dev-10",
    ]);
    expect(sortRows(rows, { key: "id", direction: "descending" }).map((r) => r.id)).toEqual([
      "dev-10",
      "dev-9",
      "Dev-2",
    ]);
    expect(rows.map((r) => r.id)).toEqual(["dev-10", "dev-9", "Dev-2"]);
  });

  it("sorts numbers as numbers and puts blanks last either way", () => {
    expect(sortRows(rows, { key: "n", direction: "ascending" }).map((r) => r.n)).toEqual([1, 3, null]);
    expect(sortRows(rows, { key: "n", direction: "descending" }).map((r) => r.n)).toEqual([3, 1, null]);
  });

  it("filters on any of the given fields, case-insensitively", () => {
    expect(filterRows(rows, "DEV-1", ["id"]).map((r) => r.id)).toEqual(["dev-10"]);
    expect(filterRows(rows, "  ", ["id"])).toHaveLength(3);
    expect(filterRows(rows, "zzz", ["id"])).toHaveLength(0);
  });
});
