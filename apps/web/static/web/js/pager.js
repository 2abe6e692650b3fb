// A cursor-paginated list on the page: the first page replaces the list, "Load more" appends the
// next one, and the answer of a superseded request is dropped (a newer filter, a reload).
import {call, pathOf} from "./api.js";
import {replaceChildren, showAlert} from "./dom.js";
import {sentence} from "./messages.js";

export function pager({list, status, more, problem, row, empty}) {
  let next = null;
  let generation = 0;

  async function fetchPage(path, replace) {
    const mine = ++generation;
    more.disabled = true;
    status.textContent = "Loading…";
    try {
      const page = await call("GET", path);
      if (mine !== generation) return;
      if (replace) replaceChildren(list);
      list.append(...page.results.map(row));
      next = page.next;
      more.hidden = !next;
      status.textContent = list.children.length ? "" : empty();
    } catch (error) {
      if (mine !== generation) return;
      status.textContent = "";
      showAlert(problem, sentence(error));
    } finally {
      more.disabled = false;
    }
  }

  return {
    load: (path) => fetchPage(path, true),
    loadMore() {
      if (next) fetchPage(pathOf(next), false);
    },
  };
}
