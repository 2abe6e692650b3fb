// The wallet card: what can be spent now, what is held for others, the balance (both
// together), and who the person is (to share with a sender).
import {call} from "../api.js";
import {h} from "../dom.js";
import {formatMoney, fromCents, toCents} from "../money.js";

export function walletCard(account) {
  const {user, wallet} = account;
  const figure = (id, className) => h("dd", {id, class: className});
  const available = figure("available", "balance");
  const held = figure("held", "figure");
  const balance = figure("balance", "figure");
  const element = h("section", {class: "card wallet", "aria-labelledby": "wallet-title"},
    h("h2", {id: "wallet-title"}, "Wallet"),
    h("dl", {class: "figures"},
      h("div", {class: "main-figure"}, h("dt", {}, "Available"), available),
      h("div", {}, h("dt", {}, "Held"), held),
      h("div", {}, h("dt", {}, "Balance"), balance)),
    h("p", {class: "hint"}, "Held money is reserved for a payee until it is captured, voided or expires."),
    h("dl", {class: "facts"},
      h("dt", {}, "Username"), h("dd", {id: "my-username"}, user.username),
      h("dt", {}, "User id"), h("dd", {id: "my-user-id"}, `#${user.id}`)),
    h("p", {class: "hint"}, "To receive money, share your username or user id."));

  function show(node, amount) {
    node.dataset.amount = amount;
    node.textContent = formatMoney(amount, wallet.currency);
  }

  function update(latest) {
    Object.assign(wallet, latest);
    show(available, wallet.available);
    show(held, wallet.held);
    show(balance, wallet.balance);
  }

  // The balance a transfer answered with: it moved no held money, so available is the rest.
  function setBalance(amount) {
    const rest = toCents(amount) - toCents(wallet.held);
    update({balance: amount, available: rest >= 0n ? fromCents(rest) : wallet.available});
  }

  // The three figures as the server has them now; they stay as they were if it cannot answer.
  async function reload() {
    try {
      update(await call("GET", "/api/wallet/me/"));
    } catch {
      // the next action or a reload of the page brings them again
    }
  }

  update(wallet);
  return {element, setBalance, reload};
}
