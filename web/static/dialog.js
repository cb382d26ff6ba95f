// Modal dialogs on the native <dialog>: it keeps keyboard focus inside, closes on Escape and
// is announced as a dialog; this adds the labelling and gives focus back where it came from.

import { h, uniqueId } from "./dom.js";

/** Opens a modal with a heading and content; returns { dialog, close }. */
export function openModal({ title, content, onClose = () => {} }) {
  const opener = document.activeElement;
  const headingId = uniqueId("dialog-heading");
  const dialog = h(
    "dialog",
    { class: "dialog", "aria-labelledby": headingId },
    h("h2", { id: headingId }, title),
    content,
  );
  dialog.addEventListener("close", () => {
    dialog.remove();
    onClose();
    if (opener?.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close: () => dialog.close() };
}

/** Asks before something that cannot be undone; resolves true only on the confirm button.
 * details: more content after the message (e.g. the texts a change brings back). */
export function confirmAction({ title, message, details = null, confirmLabel }) {
  return new Promise((resolve) => {
    let confirmed = false;
    const { close } = openModal({
      title,
      content: [
        h("p", {}, message),
        details,
        h(
          "div",
          { class: "buttons" },
          h(
            "button",
            {
              type: "button",
              class: "button danger",
              onclick: () => {
                confirmed = true;
                close();
              },
            },
            confirmLabel,
          ),
          h(
            "button",
            { type: "button", class: "button secondary", autofocus: true, onclick: () => close() },
            "Avbryt",
          ),
        ),
      ],
      onClose: () => resolve(confirmed),
    });
  });
}
