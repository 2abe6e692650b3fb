// Holds: money a payer reserved for a payee. The payee captures it (all of it or less) or
// voids it; the payer can void it. Only active holds are listed: as payee, then as payer.
//
// Every action is confirmed first. A confirmed action is one attempt with one
// Idempotency-Key, reused by every press of its Confirm button: a double click, or a retry
// after the answer was lost, never captures twice. Changing the amount starts a new attempt.
import {call, newAttemptKey} from "../api.js";
import {alertBox, announce, field, h, replaceChildren, showAlert} from "../dom.js";
import {sentence} from "../messages.js";
import {amountProblem, formatMoney, fromCents, toCents} from "../money.js";
import {pager} from "../pager.js";
import {partyLabel} from "./recipient.js";

const PAGE_SIZE = 20;
// The hold was resolved (or expired) meanwhile: the lists are out of date, not the action.
const HOLD_GONE = new Set(["hold_not_active", "hold_expired", "not_found"]);

function expiry(hold) {
  const when = new Date(hold.expires_at);
  return h("span", {class: "when"}, "Expires ",
    h("time", {datetime: hold.expires_at}, when.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"})));
}

export function holdsPanel(account, {onChanged}) {
  const money = (amount) => formatMoney(amount, account.wallet.currency);
  const title = h("h2", {id: "holds-title", tabindex: -1}, "Holds");
  const problem = alertBox();
  const lists = {
    payee: holdList("payee", "Held for you", "No one is holding money for you."),
    payer: holdList("payer", "Held by you", "You are not holding money for anyone."),
  };
  const element = h("section", {class: "card holds", "aria-labelledby": "holds-title"},
    title, problem, lists.payee.element, lists.payer.element);

  function holdList(role, heading, empty) {
    const headingId = `holds-${role}-title`;
    const list = h("ul", {class: "hold-list", id: `holds-${role}`, "aria-labelledby": headingId});
    const status = h("p", {class: "hint", role: "status"});
    const more = h("button", {type: "button", class: "secondary", hidden: true,
      onclick: () => pages.loadMore()}, "Show more");
    const element = h("div", {class: "hold-group"}, h("h3", {id: headingId}, heading), list, status, more);
    const pages = pager({list, status, more, problem, row: (hold) => holdItem(hold, role),
      empty: () => empty});

    function reload() {
      return pages.load(`/api/holds/?${new URLSearchParams({role, status: "active", page_size: PAGE_SIZE})}`);
    }

    return {element, reload};
  }

  function reload() {
    return Promise.all([lists.payee.reload(), lists.payer.reload()]);
  }

  // After an action, or after learning that a hold was resolved elsewhere: lists, wallet, history.
  function changed() {
    reload();
    onChanged();
  }

  function holdItem(hold, role) {
    const asPayee = role === "payee";
    const other = asPayee ? hold.payer : hold.payee;
    const titleId = `hold-${hold.id}-title`;
    const actions = h("div", {class: "hold-actions"});
    const item = h("li", {class: "hold", "data-id": hold.id},
      h("div", {class: "hold-summary"},
        h("span", {class: "title", id: titleId}, `${asPayee ? "From" : "For"} ${partyLabel(other)}`),
        h("span", {class: "amount", "data-amount": hold.amount}, money(hold.amount)),
        expiry(hold),
        hold.description ? h("span", {class: "memo"}, hold.description) : null),
      actions);
    const capture = asPayee ? field("Amount to capture", {name: "amount", inputmode: "decimal",
      autocomplete: "off", maxlength: 24, value: hold.amount,
      hint: `Up to ${money(hold.amount)}; what you leave goes back to ${partyLabel(other)}.`}) : null;
    const formProblem = alertBox();

    function showActions(message = null) {
      actions.classList.remove("confirming");
      const voidButton = h("button", {type: "button", class: "secondary", "aria-describedby": titleId,
        onclick: () => confirmStep(voidAttempt())}, "Void");
      if (!asPayee) {
        replaceChildren(actions, formProblem, h("div", {class: "actions"}, voidButton));
      } else {
        const form = h("form", {novalidate: true, onsubmit: reviewCapture}, capture.wrapper, formProblem,
          h("div", {class: "actions"},
            h("button", {type: "submit", class: "primary", "aria-describedby": titleId}, "Capture"),
            voidButton));
        replaceChildren(actions, form);
      }
      showAlert(formProblem, message);
    }

    function reviewCapture(event) {
      event.preventDefault();
      capture.input.removeAttribute("aria-invalid");
      const sum = capture.input.value.trim();
      let wrong = sum ? amountProblem(sum) : "Enter an amount to capture, such as 10.50.";
      if (!wrong && toCents(sum) > toCents(hold.amount)) wrong = `You can capture at most ${money(hold.amount)}.`;
      if (wrong) {
        capture.input.setAttribute("aria-invalid", "true");
        showAlert(formProblem, wrong);
        capture.input.focus();
        return;
      }
      const rest = toCents(hold.amount) - toCents(sum);
      confirmStep({
        path: `/api/holds/${hold.id}/capture/`,
        body: {amount: sum},
        key: newAttemptKey(),
        question: `Capture ${money(sum)} from ${partyLabel(other)}?`,
        note: rest > 0n ? `The other ${money(fromCents(rest))} goes back to ${partyLabel(other)}.` : null,
        confirm: "Confirm capture",
        busy: "Capturing…",
        back: "Change",
        done: (result) => `Captured ${money(result.captured_amount)} from ${partyLabel(other)}.`,
      });
    }

    function voidAttempt() {
      return {
        path: `/api/holds/${hold.id}/void/`,
        body: {},
        key: newAttemptKey(),
        question: asPayee ? `Void the ${money(hold.amount)} hold from ${partyLabel(other)}?`
          : `Void your ${money(hold.amount)} hold for ${partyLabel(other)}?`,
        note: asPayee ? "Nothing is paid to you; the money goes back to the payer."
          : "Nothing is paid; the money is available to you again.",
        confirm: "Confirm void",
        busy: "Voiding…",
        back: "Cancel",
        done: () => `Voided the ${money(hold.amount)} hold ${asPayee ? "from" : "for"} ${partyLabel(other)}.`,
      };
    }

    function confirmStep(attempt) {
      const confirmProblem = alertBox();
      const confirmButton = h("button", {type: "button", class: "primary"}, attempt.confirm);
      const backButton = h("button", {type: "button", class: "secondary"}, attempt.back);

      confirmButton.addEventListener("click", async () => {
        // Disabled at once: the second click of a double click never reaches this handler.
        confirmButton.disabled = backButton.disabled = true;
        confirmButton.textContent = attempt.busy;
        showAlert(confirmProblem, "");
        showAlert(problem, "");
        try {
          const result = await call("POST", attempt.path,
            {body: attempt.body, headers: {"Idempotency-Key": attempt.key}});
          announce(attempt.done(result));
          title.focus();
          changed();
        } catch (error) {
          if (HOLD_GONE.has(error.code)) {
            showAlert(problem, sentence(error));
            title.focus();
            changed();
            return;
          }
          confirmButton.disabled = backButton.disabled = false;
          confirmButton.textContent = attempt.confirm;
          showAlert(confirmProblem, error.outcomeUnknown
            ? `${sentence(error)} The hold may or may not have changed: press ${attempt.confirm} to try `
              + "again. It will not be done twice."
            : sentence(error));
        }
      });
      backButton.addEventListener("click", () => {
        showActions();
        (capture ? capture.input : actions.querySelector("button")).focus();
      });

      actions.classList.add("confirming");
      replaceChildren(actions,
        h("p", {class: "question"}, attempt.question),
        attempt.note ? h("p", {class: "hint"}, attempt.note) : null,
        confirmProblem,
        h("div", {class: "actions"}, confirmButton, backButton));
      confirmButton.focus();
    }

    showActions();
    return item;
  }

  reload();
  return {element, reload};
}
