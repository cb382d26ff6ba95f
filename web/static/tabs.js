// Tabs after the WAI-ARIA pattern: arrow keys, Home and End move between the tabs, Tab moves
// into the open panel.

import { h } from "./dom.js";

/** tabs: [{ id, title, panel, onSelect? }]; onSelect runs when the tab is opened (for a panel
 * whose content goes stale while hidden). Returns { element, panels, select(id) }. */
export function createTabs(label, tabs) {
  const buttons = tabs.map((tab, index) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${tab.id}`,
        class: "tab",
        "aria-controls": `panel-${tab.id}`,
        "aria-selected": index === 0 ? "true" : "false",
        tabindex: index === 0 ? "0" : "-1",
        onclick: () => select(tab.id),
      },
      tab.title,
    ),
  );
  const panels = tabs.map((tab, index) =>
    h(
      "div",
      {
        role: "tabpanel",
        id: `panel-${tab.id}`,
        class: "tab-panel",
        "aria-labelledby": `tab-${tab.id}`,
        tabindex: "0",
        hidden: index !== 0,
      },
      tab.panel,
    ),
  );
  const list = h("div", { role: "tablist", class: "tabs", "aria-label": label }, buttons);
  list.addEventListener("keydown", (event) => {
    const current = buttons.indexOf(document.activeElement);
    if (current < 0) return;
    const last = buttons.length - 1;
    const next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: last }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = (next + buttons.length) % buttons.length;
    select(tabs[target].id);
    buttons[target].focus();
  });

  function select(id) {
    tabs.forEach((tab, index) => {
      const chosen = tab.id === id;
      const opened = chosen && panels[index].hidden;
      buttons[index].setAttribute("aria-selected", chosen ? "true" : "false");
      buttons[index].tabIndex = chosen ? 0 : -1;
      panels[index].hidden = !chosen;
      if (opened) tab.onSelect?.();
    });
  }

  return { element: h("div", {}, list, panels), select };
}
