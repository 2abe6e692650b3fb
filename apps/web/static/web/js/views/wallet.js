// The wallet card: balance in its currency, and who the person is (to share with a sender).
import {h} from "../dom.js";
import {formatMoney} from "../money.js";

export function walletCard(account) {
  const {user, wallet} = account;
  const balance = h("p", {class: "balance", id: "balance", "data-amount": wallet.balance},
    formatMoney(wallet.balance, wallet.currency));
  const element = h("section", {class: "card wallet", "aria-labelledby": "wallet-title"},
    h("h2", {id: "wallet-title"}, "Balance"),
    balance,
    h("dl", {class: "facts"},
      h("dt", {}, "Username"), h("dd", {id: "my-username"}, user.username),
      h("dt", {}, "User id"), h("dd", {id: "my-user-id"}, `#${user.id}`)),
    h("p", {class: "hint"}, "To receive money, share your username or user id."));

  function setBalance(amount) {
    wallet.balance = amount;
    balance.dataset.amount = amount;
    balance.textContent = formatMoney(amount, wallet.currency);
  }

  return {element, setBalance};
}
