// Send money: the form, a confirmation step, then one transfer per attempt.
//
// An attempt is what the person confirmed (recipient, amount, memo). It gets one
// Idempotency-Key, reused by every press of Confirm for it: a double click, or a retry after
// the answer was lost, never moves the money twice. Changing the details starts a new attempt.
import {call, newAttemptKey} from "../api.js";
import {alertBox, announce, field, h, replaceChildren, showAlert} from "../dom.js";
import {sentence} from "../messages.js";
import {amountProblem, formatMoney} from "../money.js";
import {partyLabel, resolveRecipient} from "./recipient.js";

const MEMO_MAX = 140;

export function sendPanel(account, {onSent}) {
  const currency = account.wallet.currency;
  const element = h("section", {class: "card send", "aria-labelledby": "send-title"});
  const recipient = field("Recipient", {name: "recipient", required: true, autocomplete: "off",
    autocapitalize: "none", spellcheck: "false", maxlength: 150,
    hint: "A username, or a user id such as #2."});
  const amount = field("Amount", {name: "amount", required: true, inputmode: "decimal",
    autocomplete: "off", maxlength: 24, hint: `In ${currency || "the wallet's currency"}, such as 10.50.`});
  const memo = field("Memo", {name: "memo", maxlength: MEMO_MAX, autocomplete: "off",
    hint: `Optional, up to ${MEMO_MAX} characters; the recipient sees it.`});
  const problem = alertBox();
  const sendButton = h("button", {type: "submit", class: "primary"}, "Send");
  const form = h("form", {novalidate: true, onsubmit: review},
    recipient.wrapper, amount.wrapper, memo.wrapper, problem, h("div", {class: "actions"}, sendButton));

  function showForm(message = null) {
    replaceChildren(element, h("h2", {id: "send-title"}, "Send money"), form);
    showAlert(problem, message);
    sendButton.disabled = false;
  }

  function invalid(input, message) {
    input.setAttribute("aria-invalid", "true");
    showAlert(problem, message);
    input.focus();
  }

  async function review(event) {
    event.preventDefault();
    for (const input of [recipient.input, amount.input, memo.input]) input.removeAttribute("aria-invalid");
    showAlert(problem, "");
    const who = recipient.input.value.trim();
    const sum = amount.input.value.trim();
    const description = memo.input.value.trim();
    if (!who) return invalid(recipient.input, "Enter a recipient: a username or a user id such as #2.");
    const amountError = sum ? amountProblem(sum) : "Enter an amount, such as 10.50.";
    if (amountError) return invalid(amount.input, amountError);
    if (description.length > MEMO_MAX) return invalid(memo.input, `Keep the memo to ${MEMO_MAX} characters.`);
    sendButton.disabled = true;
    let receiver;
    try {
      receiver = await resolveRecipient(who);
    } catch (error) {
      return invalid(recipient.input, sentence(error));
    } finally {
      sendButton.disabled = false;
    }
    if (receiver.id === account.user.id) return invalid(recipient.input, sentence({code: "self_transfer"}));
    const body = {receiver_id: receiver.id, amount: sum};
    if (description) body.description = description;
    confirmStep({body, receiver, key: newAttemptKey()});
  }

  function confirmStep(attempt) {
    const confirmProblem = alertBox();
    const confirmButton = h("button", {type: "button", class: "primary"}, "Confirm");
    const backButton = h("button", {type: "button", class: "secondary"}, "Change");
    const question = `Send ${formatMoney(attempt.body.amount, currency)} to ${partyLabel(attempt.receiver)}?`;

    confirmButton.addEventListener("click", async () => {
      // Disabled at once: the second click of a double click never reaches this handler.
      confirmButton.disabled = backButton.disabled = true;
      confirmButton.textContent = "Sending…";
      showAlert(confirmProblem, "");
      try {
        const result = await call("POST", "/api/wallet/transfer/",
          {body: attempt.body, headers: {"Idempotency-Key": attempt.key}});
        form.reset();
        showForm();
        announce(`Sent ${formatMoney(result.transaction.amount, currency)} to `
          + `${partyLabel(attempt.receiver)}. Your balance is now ${formatMoney(result.balance, currency)}.`);
        onSent(result);
      } catch (error) {
        confirmButton.disabled = backButton.disabled = false;
        confirmButton.textContent = "Confirm";
        showAlert(confirmProblem, error.outcomeUnknown
          ? `${sentence(error)} The money may or may not have moved: press Confirm to try again. `
            + "This payment will not be sent twice."
          : sentence(error));
      }
    });
    backButton.addEventListener("click", () => {
      showForm();
      amount.input.focus();
    });

    replaceChildren(element,
      h("h2", {id: "send-title"}, "Confirm the payment"),
      h("p", {class: "question", id: "confirm-question"}, question),
      attempt.body.description ? h("p", {class: "memo"}, `Memo: ${attempt.body.description}`) : null,
      confirmProblem,
      h("div", {class: "actions"}, confirmButton, backButton));
    confirmButton.focus();
  }

  showForm();
  return {element};
}
