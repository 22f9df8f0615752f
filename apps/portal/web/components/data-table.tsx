/**
 * The one table every list and detail view uses: a caption for screen readers, column headers,
 * the first column as the row header, horizontal scrolling on narrow screens, and the empty state.
 */
import type { ReactNode } from 'react';
import { Empty } from '../states.tsx';

/** A column: its header and how a row shows in it. */
export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => ReactNode;
  /** Right-aligned numbers. */
  readonly numeric?: boolean;
}

/** Props of {@link DataTable}. */
export interface DataTableProps<T> {
  /** Read by screen readers (visually hidden): what the table lists. */
  readonly caption: string;
  readonly columns: readonly Column<T>[];
  readonly rows: readonly T[];
  readonly rowKey: (row: T) => string;
  /** Shown instead of the table when there are no rows. */
  readonly empty: ReactNode;
}

/** A table of `rows`; the first column is each row's header cell. */
export function DataTable<T>({ caption, columns, rows, rowKey, empty }: DataTableProps<T>): ReactNode {
  if (rows.length === 0) return <Empty>{empty}</Empty>;
  return (
    <div className="table-scroll">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.header} scope="col" className={column.numeric === true ? 'numeric' : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((column, index) =>
                index === 0 ? (
                  <th key={column.header} scope="row">
                    {column.cell(row)}
                  </th>
                ) : (
                  <td key={column.header} className={column.numeric === true ? 'numeric' : undefined}>
                    {column.cell(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
