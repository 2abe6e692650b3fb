// One transaction: what moved, between whom, the balance after it, and its receipts; the link
// between a refund or a reversal and what it gave back; a Refund button on a received transfer.
import {authorized, call, newAttemptKey} from "../api.js";
import {alertBox, announce, field, h, replaceChildren, showAlert} from "../dom.js";
import {sentence} from "../messages.js";
import {formatMoney} from "../money.js";
import {itemTitle, signedAmount} from "./history.js";
import {partyLabel} from "./recipient.js";

const RECEIPT_WAIT_SECONDS = 120; // a receipt is usually ready within a second of the transfer
const FORMATS = {
  pdf: {button: "Download PDF receipt", done: "PDF receipt downloaded."},
  txt: {button: "Download text receipt", done: "Text receipt downloaded."},
};

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

function filenameOf(response, fallback) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : fallback;
}

function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", {href: url, download: filename, hidden: true});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// The receipt file; while it is being prepared (409 receipt_pending) asks again after the
// server's Retry-After, telling the person so, never showing it as an error.
async function downloadReceipt(id, format, say) {
  const deadline = Date.now() + RECEIPT_WAIT_SECONDS * 1000;
  for (;;) {
    try {
      const response = await authorized("GET", `/api/transactions/${id}/receipt/?format=${format}`,
        {headers: {Accept: "*/*"}});
      saveFile(await response.blob(), filenameOf(response, `receipt-${id}.${format}`));
      say(FORMATS[format].done);
      return;
    } catch (error) {
      if (error.code !== "receipt_pending" || Date.now() > deadline) throw error;
      say("Your receipt is being prepared…");
      await sleep(error.retryAfter || 1);
    }
  }
}

// A transfer the caller received, of which something remains to give back.
const refundable = (item) => item.kind === "transfer" && item.direction === "received"
  && cents(item.returned_amount) < cents(item.amount);

function facts(rows) {
  return h("dl", {class: "facts"}, rows.filter(([, value]) => value !== null && value !== "")
    .flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
}

const link = (id) => h("a", {href: `#/transactions/${id}`}, `#${id}`);
const RETURN_KINDS = {refund: "Refund of", reversal: "Reversal of"};

// Cents, so that what remains is computed exactly ("30.00" - "12.50").
const cents = (amount) => Math.round(Number(amount) * 100);
const fromCents = (n) => `${Math.trunc(n / 100)}.${String(n % 100).padStart(2, "0")}`;

// The Refund button, then its confirmation: how much (all that remains by default) and a memo.
// One Idempotency-Key per confirmation step, reused by every press of Confirm in it.
function refundPanel(item, currency, onDone) {
  const remaining = fromCents(cents(item.amount) - cents(item.returned_amount));
  const panel = h("div", {class: "refund"});
  const problem = alertBox();
  const start = () => {
    const amount = field("Amount to refund", {name: "amount", inputmode: "decimal", value: remaining,
      hint: `At most ${formatMoney(remaining, currency)}.`});
    const memo = field("Memo (optional)", {name: "description", maxlength: 140, autocomplete: "off"});
    const key = newAttemptKey();
    const confirm = h("button", {type: "submit", class: "primary"}, "Confirm refund");
    const form = h("form", {class: "confirm", "aria-label": "Confirm the refund",
      onsubmit: async (event) => {
        event.preventDefault();
        confirm.disabled = true;
        showAlert(problem, "");
        const body = {amount: amount.input.value.trim()};
        if (memo.input.value.trim()) body.description = memo.input.value.trim();
        try {
          const result = await call("POST", `/api/transactions/${item.id}/refund/`,
            {body, headers: {"Idempotency-Key": key}});
          announce(`Refunded ${formatMoney(result.transaction.amount, currency)}.`);
          onDone(result.transaction.id);
        } catch (error) {
          showAlert(problem, sentence(error));
          confirm.disabled = false;
        }
      }},
    h("p", {}, `Give money back to ${partyLabel(item.sender)}? It leaves your wallet at once.`),
    amount.wrapper, memo.wrapper, problem,
    h("div", {class: "actions"}, confirm,
      h("button", {type: "button", class: "secondary", onclick: () => replaceChildren(panel, button)},
        "Cancel")));
    replaceChildren(panel, form);
    amount.input.focus();
  };
  const button = h("button", {type: "button", class: "secondary", onclick: start}, "Refund");
  return replaceChildren(panel, button);
}

export async function renderDetail(main, account, id) {
  const currency = account.wallet.currency;
  const back = h("a", {href: "#/", class: "back"}, "← Back to your wallet");
  replaceChildren(main, back, h("p", {class: "loading"}, "Loading…"));
  let item;
  try {
    item = await call("GET", `/api/transactions/${id}/`);
  } catch (error) {
    replaceChildren(main, back, alertBox(sentence(error)));
    return;
  }
  const problem = alertBox();
  const status = h("p", {class: "hint", role: "status", id: "receipt-status"},
    item.receipt.status === "pending" ? "Your receipt is being prepared." : "");
  const buttons = Object.entries(FORMATS).map(([format, {button: label}]) => h("button", {
    type: "button", class: "secondary", "data-format": format,
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      showAlert(problem, "");
      try {
        await downloadReceipt(item.id, format, (text) => { status.textContent = text; });
      } catch (error) {
        status.textContent = "";
        showAlert(problem, sentence(error));
      } finally {
        button.disabled = false;
      }
    },
  }, label));

  const heading = h("h1", {tabindex: "-1"}, itemTitle(item));
  replaceChildren(main, back, h("section", {class: "card detail", "aria-labelledby": "detail-title"},
    h("h2", {id: "detail-title", class: "amount-large"}, signedAmount(item, currency)),
    heading,
    facts([
      ["Date", new Date(item.created_at).toLocaleString()],
      ["From", item.sender ? partyLabel(item.sender) : "Deposit"],
      ["To", item.receiver ? partyLabel(item.receiver) : "Back to where deposits come from"],
      ["Amount", formatMoney(item.amount, currency)],
      ["Balance after", formatMoney(item.balance_after, currency)],
      [item.kind === "reversal" ? "Reason" : "Memo", item.description],
      ["Reference", `#${item.id}`],
      [RETURN_KINDS[item.kind] || "", item.original_id ? link(item.original_id) : null],
      ["Given back", item.returned_by.length ? formatMoney(item.returned_amount, currency) : null],
      ["Given back by", item.returned_by.length ? item.returned_by.flatMap((n, i) => i ? [", ", link(n)]
        : [link(n)]) : null],
    ]),
    refundable(item) ? refundPanel(item, currency, (refundId) => { location.hash = `#/transactions/${refundId}`; })
      : null,
    h("h3", {}, "Receipt"), status, problem, h("div", {class: "actions"}, buttons)));
  heading.focus();
}
