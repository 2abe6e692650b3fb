// Building the page from data without ever parsing it as HTML: every name, memo and message
// becomes a text node, so "<img src=x onerror=alert(1)>" shows as those characters.

// h("button", {type: "submit", class: "primary", onclick: fn}, "Send")
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function replaceChildren(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

let fieldCount = 0;

// A labelled input: <label for> the visible name, the input, and an optional hint.
export function field(label, {hint = null, ...inputProps} = {}) {
  const id = inputProps.id || `field-${++fieldCount}`;
  const hintId = hint ? `${id}-hint` : null;
  const input = h("input", {...inputProps, id, "aria-describedby": hintId});
  const wrapper = h("div", {class: "field"}, h("label", {for: id}, label), input,
    hint ? h("small", {id: hintId, class: "hint"}, hint) : null);
  return {wrapper, input};
}

// A select with visible label; options as [value, text] pairs.
export function selectField(label, options, props = {}) {
  const id = props.id || `field-${++fieldCount}`;
  const select = h("select", {...props, id}, options.map(([value, text]) => h("option", {value}, text)));
  return {wrapper: h("div", {class: "field"}, h("label", {for: id}, label), select), input: select};
}

// An error region announced by screen readers when its text changes (hidden while empty).
export function alertBox(message = "") {
  return h("p", {class: "alert", role: "alert", hidden: !message}, message);
}

export function showAlert(box, message) {
  box.textContent = message || "";
  box.hidden = !message;
}

// Status messages ("Sent.", "Signed out.") in the page's polite live region.
export function announce(message) {
  const notice = document.getElementById("notice");
  notice.textContent = message || "";
  notice.classList.toggle("visible", Boolean(message));
}
