// The history: newest first, filtered with the API's own filters, a page at a time.
import {alertBox, field, h, selectField, showAlert} from "../dom.js";
import {sentence} from "../messages.js";
import {amountProblem, formatMoney} from "../money.js";
import {pager} from "../pager.js";
import {partyLabel, resolveRecipient} from "./recipient.js";

const PAGE_SIZE = 20;

// Local midnight of a yyyy-mm-dd date, `days` later, as an ISO 8601 instant.
function startOfDay(value, days = 0) {
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day + days).toISOString();
}

export function itemTitle(item) {
  if (item.kind === "deposit") return "Deposit";
  const kind = {refund: "Refund", reversal: "Reversal"}[item.kind];
  const party = item.direction === "sent" ? item.receiver : item.sender;
  if (!party) return kind; // a deposit's reversal: the money went back where deposits come from
  const title = `${item.direction === "sent" ? "to" : "from"} ${partyLabel(party)}`;
  return kind ? `${kind} ${title}` : title[0].toUpperCase() + title.slice(1);
}

export function signedAmount(item, currency) {
  return `${item.direction === "sent" ? "−" : "+"}${formatMoney(item.amount, currency)}`;
}

function itemRow(item, currency) {
  return h("li", {class: `item ${item.direction}`},
    h("a", {href: `#/transactions/${item.id}`, "data-id": item.id},
      h("span", {class: "title"}, itemTitle(item)),
      h("span", {class: "amount", "data-amount": item.amount}, signedAmount(item, currency)),
      h("span", {class: "when"}, new Date(item.created_at).toLocaleString()),
      h("span", {class: "after"}, `Balance after: ${formatMoney(item.balance_after, currency)}`),
      item.description ? h("span", {class: "memo"}, item.description) : null));
}

export function historyPanel(account) {
  const currency = account.wallet.currency;
  const direction = selectField("Direction", [["", "Sent and received"], ["sent", "Sent"],
    ["received", "Received"]], {name: "direction"});
  const kind = selectField("Kind", [["", "All kinds"], ["transfer", "Transfers"], ["deposit", "Deposits"]],
    {name: "kind"});
  const counterparty = field("Counterparty", {name: "counterparty", autocomplete: "off",
    autocapitalize: "none", spellcheck: "false", hint: "A username or #id."});
  const minAmount = field("Minimum amount", {name: "min_amount", inputmode: "decimal", autocomplete: "off"});
  const maxAmount = field("Maximum amount", {name: "max_amount", inputmode: "decimal", autocomplete: "off"});
  const fromDate = field("From date", {name: "from", type: "date"});
  const toDate = field("To date", {name: "to", type: "date", hint: "Inclusive."});
  const problem = alertBox();
  const filters = h("form", {novalidate: true, onsubmit: apply},
    h("div", {class: "grid"}, direction.wrapper, kind.wrapper, counterparty.wrapper, minAmount.wrapper,
      maxAmount.wrapper, fromDate.wrapper, toDate.wrapper),
    problem,
    h("div", {class: "actions"},
      h("button", {type: "submit", class: "secondary"}, "Apply filters"),
      h("button", {type: "button", class: "link", onclick: clearFilters}, "Clear filters")));
  const list = h("ol", {class: "history-list", id: "history-list", "aria-live": "polite"});
  const status = h("p", {class: "hint", role: "status"});
  const more = h("button", {type: "button", class: "secondary", hidden: true,
      onclick: () => pages.loadMore()}, "Load more");
  const element = h("section", {class: "card history", "aria-labelledby": "history-title"},
    h("h2", {id: "history-title"}, "History"),
    h("details", {class: "filters"}, h("summary", {}, "Filters"), filters), list, status, more);
  let query = new URLSearchParams({page_size: PAGE_SIZE});
  const pages = pager({list, status, more, problem, row: (item) => itemRow(item, currency),
    empty: () => (query.size > 1 ? "No transactions match these filters." : "No transactions yet.")});

  function reload() {
    showAlert(problem, "");
    return pages.load(`/api/transactions/?${query}`);
  }

  async function apply(event) {
    event.preventDefault();
    showAlert(problem, "");
    const params = new URLSearchParams({page_size: PAGE_SIZE});
    if (direction.input.value) params.set("direction", direction.input.value);
    if (kind.input.value) params.set("kind", kind.input.value);
    for (const [input, name] of [[minAmount.input, "min_amount"], [maxAmount.input, "max_amount"]]) {
      const value = input.value.trim();
      if (!value) continue;
      const wrong = amountProblem(value, {allowZero: true});
      if (wrong) return showAlert(problem, wrong);
      params.set(name, value);
    }
    if (fromDate.input.value) params.set("created_after", startOfDay(fromDate.input.value));
    if (toDate.input.value) params.set("created_before", startOfDay(toDate.input.value, 1));
    const who = counterparty.input.value.trim();
    if (who) {
      try {
        params.set("counterparty", (await resolveRecipient(who)).id);
      } catch (error) {
        return showAlert(problem, sentence(error));
      }
    }
    query = params;
    reload();
  }

  function clearFilters() {
    filters.reset();
    query = new URLSearchParams({page_size: PAGE_SIZE});
    reload();
  }

  reload();
  return {element, reload};
}
