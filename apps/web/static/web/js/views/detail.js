// One transaction: what moved, between whom, the balance after it, and its receipts.
import {authorized, call} from "../api.js";
import {alertBox, h, replaceChildren, showAlert} from "../dom.js";
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

function facts(rows) {
  return h("dl", {class: "facts"}, rows.filter(([, value]) => value !== null && value !== "")
    .flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
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
      ["To", partyLabel(item.receiver)],
      ["Amount", formatMoney(item.amount, currency)],
      ["Balance after", formatMoney(item.balance_after, currency)],
      ["Memo", item.description],
      ["Reference", `#${item.id}`],
    ]),
    h("h3", {}, "Receipt"), status, problem, h("div", {class: "actions"}, buttons)));
  heading.focus();
}
