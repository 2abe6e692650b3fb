// Amounts stay decimal strings from the API to the screen: never a JavaScript number.

const MAX_INTEGER_DIGITS = 16;
const DECIMAL_PLACES = 2;

// The API's own rule (apps/core/money.py, AMOUNT_PATTERN), and its messages.
const AMOUNT = /^(?:0\.(?:0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,15}(?:\.[0-9]{1,2})?)$/;
const AMOUNT_BOUND = /^(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,2})?$/;
const DECIMAL = /^([0-9]+)(?:\.([0-9]+))?$/;
const MALFORMED = "Write the amount as digits with an optional point and up to 2 decimals, "
  + "such as \"10.50\": no sign, spaces, exponent or leading zeros.";
const TOO_MANY_PLACES = `Use at most ${DECIMAL_PLACES} decimal places.`;
const TOO_MANY_DIGITS = `Use at most ${MAX_INTEGER_DIGITS} digits before the decimal point.`;
const NOT_POSITIVE = "The amount must be greater than zero.";

// Why `text` is not an amount the API accepts (the API's message), or null when it is one.
export function amountProblem(text, {allowZero = false} = {}) {
  if ((allowZero ? AMOUNT_BOUND : AMOUNT).test(text)) return null;
  const parts = DECIMAL.exec(text);
  if (parts === null || (parts[1].length > 1 && parts[1].startsWith("0"))) return MALFORMED;
  if ((parts[2] || "").length > DECIMAL_PLACES) return TOO_MANY_PLACES;
  if (parts[1].length > MAX_INTEGER_DIGITS) return TOO_MANY_DIGITS;
  return NOT_POSITIVE;
}

// Intl.NumberFormat formats a decimal string exactly in current browsers; older ones round it
// through a float. Probe once with a value a float cannot hold.
const PROBE = "9007199254740993.05";
const formatsStringsExactly = (() => {
  try {
    const plain = new Intl.NumberFormat("en-US", {useGrouping: false, minimumFractionDigits: 2});
    return plain.format(PROBE) === PROBE;
  } catch {
    return false;
  }
})();

const formatters = new Map();

function formatter(currency) {
  if (!formatters.has(currency)) {
    let options = {minimumFractionDigits: DECIMAL_PLACES, maximumFractionDigits: DECIMAL_PLACES};
    if (currency) options = {...options, style: "currency", currency};
    try {
      formatters.set(currency, new Intl.NumberFormat(undefined, options));
    } catch {
      formatters.set(currency, null); // a code this browser does not know
    }
  }
  return formatters.get(currency);
}

// "1234.50" as the person's browser writes money ("$1,234.50"), or the string itself.
export function formatMoney(amount, currency = "") {
  const format = formatsStringsExactly && DECIMAL.test(amount) ? formatter(currency) : null;
  if (format) return format.format(amount);
  return currency ? `${amount} ${currency}` : amount;
}

// An amount the API wrote or accepts ("12.5", "60.00") as whole cents, a BigInt: exact to
// compare and subtract.
export function toCents(amount) {
  const [units, fraction = ""] = amount.split(".");
  return BigInt(units) * 100n + BigInt(fraction.padEnd(DECIMAL_PLACES, "0"));
}

// Whole cents (zero or more) as the API writes an amount: "35.00".
export function fromCents(cents) {
  const digits = cents.toString().padStart(DECIMAL_PLACES + 1, "0");
  return `${digits.slice(0, -DECIMAL_PLACES)}.${digits.slice(-DECIMAL_PLACES)}`;
}
