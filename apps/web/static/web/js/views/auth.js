// Sign in, or create an account and sign in with it.
import {createAccount, signIn} from "../api.js";
import {alertBox, announce, field, h, replaceChildren, showAlert} from "../dom.js";
import {sentence} from "../messages.js";

export function renderAuth(main, {message, onSignedIn}) {
  const username = field("Username", {name: "username", autocomplete: "username", required: true,
    maxlength: 150, autocapitalize: "none", spellcheck: "false"});
  const password = field("Password", {name: "password", type: "password", required: true,
    autocomplete: "current-password", maxlength: 128});
  const email = field("E-mail (optional, for a new account)", {name: "email", type: "email",
    autocomplete: "email", maxlength: 254});
  const problem = alertBox();
  const signInButton = h("button", {type: "submit", class: "primary"}, "Sign in");
  const createButton = h("button", {type: "button", class: "secondary"}, "Create account");

  async function submit(action) {
    showAlert(problem, "");
    if (!username.input.value || !password.input.value) {
      showAlert(problem, "Enter a username and a password.");
      return;
    }
    for (const button of [signInButton, createButton]) button.disabled = true;
    try {
      await action(username.input.value.trim(), password.input.value, email.input.value.trim());
      announce("");
      onSignedIn();
    } catch (error) {
      showAlert(problem, sentence(error));
      for (const button of [signInButton, createButton]) button.disabled = false;
    }
  }

  const form = h("form", {class: "card auth", novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      submit((name, pass) => signIn(name, pass));
    }},
  h("h1", {}, "Sign in to your wallet"),
  username.wrapper, password.wrapper, email.wrapper, problem,
  h("div", {class: "actions"}, signInButton, createButton));
  createButton.addEventListener("click", () => submit(createAccount));

  replaceChildren(main, form);
  if (message) showAlert(problem, message);
  username.input.focus();
}
