// The live character counter under a text box. It counts as the server does, so the number a
// GP sees is the number the server's TOO_LONG is about.

import { h, replace, srOnly } from "./dom.js";
import { textLength } from "./format.js";

export function updateCounter(counter, value, maxLength) {
  const used = textLength(value);
  const over = used > maxLength;
  counter.classList.toggle("over", over);
  replace(
    counter,
    h("span", { "aria-hidden": "true" }, `${used}/${maxLength}`),
    srOnly(over ? `${used} tegn, ${used - maxLength} for mange. Maks ${maxLength}.` : `${used} av ${maxLength} tegn brukt.`),
  );
}
