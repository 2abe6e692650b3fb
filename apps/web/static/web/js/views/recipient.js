// Who a "Recipient" or "Counterparty" field names.
import {call} from "../api.js";

const ID_SPELLING = /^#([0-9]{1,15})$/;
const DIGITS = /^[0-9]{1,15}$/;

// "#2" is the user id 2; a name is looked up (exact, whatever its case); plain digits are a
// username when someone has it, else a user id. Answers {id, username (null when unknown)}.
export async function resolveRecipient(text) {
  const id = ID_SPELLING.exec(text);
  if (id) return {id: Number(id[1]), username: null};
  try {
    return await call("GET", `/api/users/lookup/?${new URLSearchParams({username: text})}`);
  } catch (error) {
    if (error.code === "user_not_found" && DIGITS.test(text)) return {id: Number(text), username: null};
    throw error;
  }
}

// "bob (#2)", or "user #2" when only the id is known.
export function partyLabel({id, username}) {
  return username ? `${username} (#${id})` : `user #${id}`;
}
