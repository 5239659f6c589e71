/* Chinese labels of the API's codes, from the one table on the server (GET /api/v1/labels,
 * api/common/labels.py), kept in localStorage so that a page opened offline still has them.
 *
 *   await Doudi.labels.load();  Doudi.labels.label("task_kind", "revisit") -> "回访"
 *
 * A code with no label shows as the code itself. Needs api.js.
 */
(function (global) {
  "use strict";

  const KEY = "doudi.labels";
  let table = JSON.parse(global.localStorage.getItem(KEY) || "{}");

  async function load() {
    try {
      table = await global.Doudi.getJson("/labels");
      global.localStorage.setItem(KEY, JSON.stringify(table));
    } catch (e) {
      if (!Object.keys(table).length) throw e; // offline with nothing kept: the page says so
    }
    return table;
  }

  function label(vocabulary, code) {
    if (code === null || code === undefined) return "";
    return (table[vocabulary] || {})[code] || String(code);
  }

  // [{value, label}] of a vocabulary, in the server's order (for <select> options).
  function choices(vocabulary) {
    return Object.entries(table[vocabulary] || {}).map(([value, text]) => ({ value, label: text }));
  }

  global.Doudi = Object.assign(global.Doudi || {}, { labels: { load, label, choices } });
})(window);
