// Each API error code as a sentence a person understands. The API's own message is used
// where it already speaks to the person (amount rules, password rules).
import {SESSION_ENDED} from "./api.js";

const firstDetail = (error) => {
  const details = error.details && typeof error.details === "object" ? Object.values(error.details) : [];
  const first = details.flat().find((item) => item && item.message);
  return first ? first.message : error.message;
};

const SENTENCES = {
  network_error: "The server could not be reached. Check your connection and try again.",
  database_unavailable: "The service is briefly unavailable. Try again in a moment.",
  throttled: (e) => `Too many attempts. Try again in ${e.retryAfter || "a few"} seconds.`,
  no_active_account: "Wrong username or password.",
  token_not_valid: SESSION_ENDED,
  not_authenticated: "Please sign in.",
  account_inactive: "This account is disabled, so it cannot send money.",
  username_taken: "That username is taken. Choose another one.",
  username_unprintable: (e) => e.message,
  invalid_password: firstDetail,
  invalid_input: firstDetail,
  invalid_filter: (e) => e.message,
  invalid_amount: (e) => e.message,
  user_not_found: "No one has that username. Check the spelling.",
  receiver_not_found: "That recipient does not exist or cannot receive money.",
  self_transfer: "You cannot send money to yourself.",
  insufficient_funds: "Your available balance is too low for this amount.",
  balance_limit_exceeded: "The recipient's wallet cannot hold that much money.",
  idempotency_key_reused: "This payment was already sent with other details. Start a new one.",
  receipt_pending: "The receipt is being prepared.",
  not_found: "This item does not exist, or it is not yours.",
  permission_denied: "You are not allowed to do that.",
  request_too_large: "That is too much text. Shorten the memo.",
  payee_not_found: "That payee does not exist or cannot receive money.",
  self_hold: "You cannot hold money for yourself.",
  amount_exceeds_hold: "You cannot capture more than the hold's amount.",
  hold_expired: "This hold has expired, so it can no longer be captured. The money went back to the payer.",
  hold_not_active: (e) => HOLD_ENDED[e.details?.status] || "This hold has already ended.",
  not_refundable: (e) => e.message,
  amount_exceeds_remaining: (e) => e.message,
  already_fully_returned: "This payment has already been given back in full.",
};

const HOLD_ENDED = {
  captured: "This hold was already captured.",
  voided: "This hold was already voided.",
  expired: "This hold has expired; its money is no longer held.",
};

export function sentence(error) {
  const known = SENTENCES[error.code];
  if (typeof known === "function") return known(error);
  if (known) return known;
  if (error.status >= 500) return "Something went wrong on our side. Try again in a moment.";
  return error.message || "Something went wrong. Try again.";
}
