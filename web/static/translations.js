// The practice's addition in the other languages, under a box's bokmål one on "Info til
// pasient": one button per language opens its own text box, counter and error place. Most
// practices write bokmål only, so the others stay one click away unless they hold text.

import { updateCounter } from "./counter.js";
import { h, srOnly } from "./dom.js";
import { LANGUAGES, languageLabel } from "./languages.js";
import { standardTextIn } from "./standard-texts.js";

/**
 * text: the slot as practice.texts has it ({ slot, title, maxLength }). Returns
 * { element, fields }, fields a Map from language code to { code, textarea, counter, error,
 * show(open) }.
 */
export function createTranslations(text) {
  const id = `slot-${text.slot}`;
  const fields = new Map();
  const buttons = [];
  const boxes = [];

  for (const language of LANGUAGES.slice(1)) {
    const key = `${id}-${language.lang}`;
    const counter = h("p", { id: `${key}-count`, class: "counter" });
    const error = h("p", { id: `${key}-error`, class: "field-error" });
    const textarea = h("textarea", {
      id: `${key}-text`,
      name: `${text.slot}/${language.code}`,
      lang: language.lang,
      rows: 3,
      "aria-describedby": `${key}-count ${key}-error`,
    });
    textarea.addEventListener("input", () => updateCounter(counter, textarea.value, text.maxLength));
    const box = h(
      "div",
      { id: key, class: "translation", hidden: true },
      standardTextIn(text, language),
      h("label", { for: `${key}-text` }, `Tilleggsinformasjon på ${language.inNorwegian}`),
      textarea,
      h("div", { class: "below-box" }, error, counter),
    );
    const button = h(
      "button",
      {
        type: "button",
        class: "language-button",
        "aria-expanded": "false",
        "aria-controls": key,
        onclick: () => {
          const open = box.hidden;
          show(open);
          if (open) textarea.focus();
        },
      },
      h("span", { class: "language-sign", "aria-hidden": "true" }),
      languageLabel(language),
      srOnly(` – tilleggsinformasjon for ${text.title}`),
    );
    function show(open) {
      box.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
    }
    updateCounter(counter, "", text.maxLength);
    fields.set(language.code, { code: language.code, textarea, counter, error, show });
    buttons.push(button);
    boxes.push(box);
  }

  const labelId = `${id}-languages`;
  const element = h(
    "div",
    { class: "translations" },
    h(
      "div",
      { class: "language-buttons", role: "group", "aria-labelledby": labelId },
      h("span", { id: labelId, class: "hint" }, "Andre språk", srOnly(` for ${text.title}`), ":"),
      buttons,
    ),
    boxes,
  );
  return { element, fields };
}
