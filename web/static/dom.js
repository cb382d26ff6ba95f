// Builds DOM from data. Practice texts are typed by users: they only ever enter the page as
// text nodes, never as markup.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

let lastId = 0;

/** An id no other element on the page has, for label/aria wiring of repeated parts. */
export function uniqueId(prefix) {
  lastId += 1;
  return `${prefix}-${lastId}`;
}

/** Text for screen readers only (the visible text says the same more briefly). */
export function srOnly(text) {
  return h("span", { class: "sr-only" }, text);
}

/** Text with its line breaks kept; lines starting with "- " become a list, as the standard
 * texts in the catalogue are written. */
export function richText(text, className = "") {
  const box = h("div", { class: `rich-text ${className}`.trim() });
  let list = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("- ")) {
      list ??= box.appendChild(h("ul"));
      list.append(h("li", {}, line.slice(2)));
    } else {
      list = null;
      if (line.trim()) box.append(h("p", {}, line));
    }
  }
  return box;
}
