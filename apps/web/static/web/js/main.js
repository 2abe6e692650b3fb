// The client's shell: who is signed in, which view is shown (from the URL's #fragment).
import {ApiError, call, hasSession, onSessionEnd, signOut} from "./api.js";
import {alertBox, announce, h, replaceChildren} from "./dom.js";
import {sentence} from "./messages.js";
import {renderAuth} from "./views/auth.js";
import {renderDetail} from "./views/detail.js";
import {renderHome} from "./views/home.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let account = null; // {user: {id, username, email}, wallet: {balance, currency, ...}}

async function loadAccount() {
  const [user, wallet] = await Promise.all([call("GET", "/api/users/me/"), call("GET", "/api/wallet/me/")]);
  account = {user, wallet};
}

function showNav() {
  const button = h("button", {type: "button", class: "secondary", onclick: onSignOut}, "Sign out");
  replaceChildren(nav, h("span", {class: "who"}, account.user.username), button);
  nav.hidden = false;
}

function showSignIn(message = null) {
  account = null;
  nav.hidden = true;
  replaceChildren(nav);
  renderAuth(main, {message, onSignedIn: start});
}

async function onSignOut(event) {
  event.currentTarget.disabled = true;
  try {
    await signOut();
  } catch {
    // the tokens are forgotten here anyway; the refresh token expires on its own
  }
  history.replaceState(null, "", location.pathname);
  showSignIn();
  announce("You are signed out.");
}

function route() {
  if (account === null) return;
  const detail = /^#\/transactions\/([0-9]{1,18})$/.exec(location.hash);
  if (detail) renderDetail(main, account, detail[1]);
  else renderHome(main, account);
}

async function start() {
  if (!hasSession()) {
    showSignIn();
    return;
  }
  replaceChildren(main, h("p", {class: "loading"}, "Loading…"));
  try {
    await loadAccount();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // the session-end listener shows sign-in
    replaceChildren(main, alertBox(sentence(error)),
      h("button", {type: "button", onclick: start}, "Try again"));
    return;
  }
  showNav();
  route();
}

onSessionEnd((message) => showSignIn(message));
window.addEventListener("hashchange", () => {
  announce("");
  route();
});
start();
