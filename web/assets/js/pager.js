// @ts-check
// A list shown a page at a time: the first page, then each next one behind a "Load more"
// button, with an empty state when there is nothing to list and a notice when a page fails.
// Only the pages with such a list import it, never the shell.

import { clear, notice } from "./dom.js";
import { errorText } from "./i18n.js";
import { loadMoreButton } from "./ui.js";

/**
 * `list` takes a `row(item)` for each item of the pages `fetchPage(cursor)` brings (cursor null:
 * the first), and `empty()` when it has none; a failure is told in `status`. Returns the button
 * (`more.element`, to place below the list) and `load`: `load(true)` the first page in place of
 * the rows shown, `load()` the next one. T is the item `row` takes.
 * @template T
 * @param {{list: HTMLElement, fetchPage: (cursor: string | null) => Promise<Page<NoInfer<T>>>,
 *   row: (item: T) => Node, empty: () => Node, status: HTMLElement}} given
 */
export function pager({ list, fetchPage, row, empty, status }) {
  /** @type {string | null} */
  let cursor = null;
  const more = loadMoreButton(() => load(false));
  async function load(reset = false) {
    more.busy(true);
    try {
      const page = await fetchPage(reset ? null : cursor);
      if (reset) clear(list);
      for (const item of page.items) list.append(row(item));
      if (!list.children.length) list.append(empty());
      cursor = page.next_cursor;
      more.show(Boolean(cursor));
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      more.busy(false);
    }
  }
  return { more, load };
}
