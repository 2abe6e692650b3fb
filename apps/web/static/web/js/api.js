// The one module that talks to the API: fetch, tokens and errors.
//
// The access token lives in memory only; the refresh token in sessionStorage, so a reload of
// the tab keeps the session and closing the tab ends it. Tokens never go into a URL or a log.
// Refresh tokens rotate (each works once), so one refresh at a time is shared by every caller.

const REFRESH_KEY = "wallet.refresh";
const EARLY_REFRESH_MS = 30_000; // renew an access token this long before it expires (at most)
export const SESSION_ENDED = "Your session has ended. Please sign in again.";

let access = null; // {token, renewAt}
let refreshing = null; // the refresh in flight, shared
const sessionEndListeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message, {details = null, retryAfter = null} = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }

  // The request may or may not have reached the server: a retry must reuse its Idempotency-Key.
  get outcomeUnknown() {
    return this.code === "network_error" || this.status >= 500;
  }
}

export function onSessionEnd(listener) {
  sessionEndListeners.add(listener);
}

export function hasSession() {
  return access !== null || sessionStorage.getItem(REFRESH_KEY) !== null;
}

// When to renew an access token: 30 s before it expires, or after three quarters of its
// lifetime when that is shorter. The clock is the token's own (iat, exp), shifted to ours.
function renewalTime(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const {iat, exp} = JSON.parse(atob(payload));
    const lifetime = (exp - iat) * 1000;
    return Date.now() + lifetime - Math.min(EARLY_REFRESH_MS, lifetime / 4);
  } catch {
    return 0; // unreadable: renew it before using it
  }
}

function keepTokens({access: token, refresh}) {
  access = {token, renewAt: renewalTime(token)};
  sessionStorage.setItem(REFRESH_KEY, refresh);
}

function forgetTokens() {
  access = null;
  sessionStorage.removeItem(REFRESH_KEY);
}

function endSession(message) {
  forgetTokens();
  for (const listener of sessionEndListeners) listener(message);
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not the API's JSON (a proxy's page): described by the status alone
  }
  const retryAfter = Number(response.headers.get("Retry-After")) || null;
  return new ApiError(response.status, body?.code || `http_${response.status}`,
    body?.message || response.statusText, {details: body?.details ?? null, retryAfter});
}

async function send(method, path, {body, headers = {}, token = null}) {
  const init = {method, headers: {Accept: "application/json", ...headers}, cache: "no-store"};
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(path, init);
  } catch {
    throw new ApiError(0, "network_error", "The server could not be reached.");
  }
}

function refreshTokens() {
  refreshing ??= (async () => {
    const refresh = sessionStorage.getItem(REFRESH_KEY);
    if (!refresh) {
      endSession(SESSION_ENDED);
      throw new ApiError(401, "token_not_valid", SESSION_ENDED);
    }
    const response = await send("POST", "/api/auth/token/refresh/", {body: {refresh}});
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401 || response.status === 400) endSession(SESSION_ENDED);
      throw error;
    }
    keepTokens(await response.json());
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function accessToken() {
  if (access === null || Date.now() >= access.renewAt) await refreshTokens();
  return access.token;
}

// A call as the signed-in person: the access token is renewed before it expires, and once
// more if the server refuses it anyway (a clock that disagrees). Answers the Response.
export async function authorized(method, path, options = {}) {
  let response = await send(method, path, {...options, token: await accessToken()});
  if (response.status === 401) {
    await refreshTokens();
    response = await send(method, path, {...options, token: access.token});
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function call(method, path, options = {}) {
  const response = await authorized(method, path, options);
  return response.status === 204 ? null : response.json();
}

async function anonymous(method, path, body) {
  const response = await send(method, path, {body});
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

export async function signIn(username, password) {
  keepTokens(await anonymous("POST", "/api/auth/token/", {username, password}));
}

export async function createAccount(username, password, email) {
  await anonymous("POST", "/api/auth/register/", email ? {username, password, email} : {username, password});
  await signIn(username, password);
}

// Revokes the refresh token on the server; the tokens are forgotten here whatever it answers.
// An expired access token is renewed first, so the refresh token revoked is the current one
// (renewal rotates it).
export async function signOut() {
  try {
    if (sessionStorage.getItem(REFRESH_KEY)) {
      await accessToken();
      await call("POST", "/api/auth/logout/", {body: {refresh: sessionStorage.getItem(REFRESH_KEY)}});
    }
  } finally {
    forgetTokens();
  }
}

// An Idempotency-Key for one payment attempt.
export function newAttemptKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The path and query of an absolute "next" link, so a page is fetched from this client's origin.
export function pathOf(link) {
  const url = new URL(link, location.origin);
  return url.pathname + url.search;
}
