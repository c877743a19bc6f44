// Previous / next buttons for a cursor-paged table.
import type { Pager } from "../lib/hooks.ts";

/** The paging controls; nothing when there is a single page. */
export function PagerControls({
  pager,
  nextCursor,
  label,
}: {
  pager: Pager;
  nextCursor?: string | null;
  label: string;
}) {
  if (pager.page === 1 && !nextCursor) return null;
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={pager.page === 1} onClick={pager.previous}>
        Previous page
      </button>
      <span>Page {pager.page}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pager.next(nextCursor)}>
        Next page
      </button>
    </nav>
  );
}
