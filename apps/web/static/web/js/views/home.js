// The signed-in page: the wallet, the send form, the holds and the history, side by side on a desktop.
import {h, replaceChildren} from "../dom.js";
import {historyPanel} from "./history.js";
import {holdsPanel} from "./holds.js";
import {sendPanel} from "./send.js";
import {walletCard} from "./wallet.js";

export function renderHome(main, account) {
  const wallet = walletCard(account);
  const history = historyPanel(account);
  const send = sendPanel(account, {
    onSent(result) {
      wallet.setBalance(result.balance);
      history.reload();
    },
  });
  const holds = holdsPanel(account, {
    onChanged() {
      wallet.reload();
      history.reload();
    },
  });
  replaceChildren(main,
    h("h1", {class: "visually-hidden"}, "Your wallet"),
    h("div", {class: "columns"},
      h("div", {class: "column"}, wallet.element, send.element),
      h("div", {class: "column wide"}, holds.element, history.element)));
}
