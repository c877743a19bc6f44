// A table with sortable column headers (aria-sort) and an empty-state row.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { nextSort, type SortState, sortRows } from "../lib/table.ts";

/** One column of a {@link DataTable}. */
export interface Column<T> {
  /** The row field it shows and sorts by. */
  key: string & keyof T;
  label: string;
  /** How a cell shows (the raw value by default). */
  render?: (row: T) => ComponentChildren;
  /** Right-aligned numbers. */
  numeric?: boolean;
  sortable?: boolean;
}

/** Props of {@link DataTable}. */
export interface DataTableProps<T> {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  /** A last column of buttons per row. */
  actions?: (row: T) => ComponentChildren;
  empty?: string;
  initialSort?: SortState<string & keyof T>;
}

/** A data table: a caption, column headers that sort on click, one row per item. */
export function DataTable<T>(props: DataTableProps<T>) {
  const [sort, setSort] = useState<SortState<string & keyof T> | undefined>(props.initialSort);
  const rows = sortRows(props.rows, sort);
  const span = props.columns.length + (props.actions ? 1 : 0);
  return (
    <div class="table-wrap">
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => {
              const active = sort?.key === c.key;
              return (
                <th
                  key={c.key}
                  scope="col"
                  class={c.numeric ? "num" : undefined}
                  aria-sort={active ? sort.direction : c.sortable === false ? undefined : "none"}
                >
                  {c.sortable === false ? (
                    c.label
                  ) : (
                    <button type="button" class="sort" onClick={() => setSort((s) => nextSort(s, c.key))}>
                      {c.label}
                      <span aria-hidden="true">
                        {active ? (sort.direction === "ascending" ? " ▲" : " ▼") : ""}
                      </span>
                    </button>
                  )}
                </th>
              );
            })}
            {props.actions ? (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={span} class="empty">
                {props.empty ?? "Nothing here."}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={props.rowKey(row)}>
                {props.columns.map((c, i) => {
                  const content = c.render ? c.render(row) : String(row[c.key] ?? "");
                  return i === 0 ? (
                    <th key={c.key} scope="row" class={c.numeric ? "num" : undefined}>
                      {content}
                    </th>
                  ) : (
                    <td key={c.key} class={c.numeric ? "num" : undefined}>
                      {content}
                    </td>
                  );
                })}
                {props.actions ? <td class="actions">{props.actions(row)}</td> : null}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
