/* The field app (docs/field-app.md): My work, Record a visit, Outbox, Me; patrol mode is in
 * patrol.js. Data lives in IndexedDB (store.js) and leaves through the outbox (outbox.js);
 * the network is used when it is there and never waited for: every screen opens from the
 * phone's copy, and recording never needs the server (nor a valid sign-in).
 */
(function (global) {
  "use strict";

  const D = global.Doudi;
  const S = global.FieldStore;
  const O = global.FieldOutbox;
  const el = D.shell.el;
  const $ = (sel, root) => (root || document).querySelector(sel);
  const L = (vocabulary, code) => D.labels.label(vocabulary, code);
  const HOUSEHOLD_ROLES = ["outreach_worker", "supervisor", "admin"];
  const LIST_LIMIT = 100;

  const App = { me: null, views: {}, params: {}, lastSend: null };

  // The first screen shows without the households: reading a whole area of them (2,000
  // records with their members) takes seconds on a slow phone. `painted` resolves once the
  // first screen is up (start()); the households are read after it, once, and kept in
  // memory until a sync or a sign-out changes them.
  let markPainted;
  let firstScreenUp = false;
  const painted = new Promise((resolve) => { markPainted = resolve; });

  function firstScreenShown() {
    firstScreenUp = true;
    markPainted();
  }
  let householdsRead = null;

  function loadHouseholds() {
    if (!householdsRead) {
      householdsRead = S.all("households").catch((e) => {
        householdsRead = null;
        throw e;
      });
    }
    return householdsRead;
  }

  function householdsChanged() {
    householdsRead = null;
  }

  // --- Small helpers ---------------------------------------------------------------------
  function pad(n) {
    return String(n).padStart(2, "0");
  }

  // Now as RFC 3339 with the phone's offset (the server wants an aware time).
  function isoNow(date) {
    const d = date || new Date();
    const off = -d.getTimezoneOffset();
    const sign = off >= 0 ? "+" : "-";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + sign + pad(Math.floor(Math.abs(off) / 60)) + ":" + pad(Math.abs(off) % 60);
  }

  function today() {
    const d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function shortTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function daysAgo(iso) {
    if (!iso) return "从未走访";
    const days = Math.floor((Date.now() - new Date(iso).getTime()) / 86400000);
    return days <= 0 ? "今天走访" : "上次走访 " + days + " 天前";
  }

  function distanceM(a, b) {
    // Haversine on WGS-84 coordinates [lon, lat]: good to a few metres at village scale.
    const R = 6371008.8;
    const rad = Math.PI / 180;
    const dLat = (b[1] - a[1]) * rad;
    const dLon = (b[0] - a[0]) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * R * Math.asin(Math.sqrt(h));
  }

  function distanceText(m) {
    return m < 1000 ? "约 " + Math.round(m) + " 米" : "约 " + (m / 1000).toFixed(1) + " 公里";
  }

  const GPS_ERRORS = {
    1: "未允许定位：请在浏览器设置中允许本网站使用位置",
    2: "无法定位：请到开阔处再试",
    3: "定位超时：请到开阔处再试",
  };

  function locate() {
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) return reject(new Error("此设备不支持定位"));
      navigator.geolocation.getCurrentPosition(resolve, (e) => reject(new Error(GPS_ERRORS[e.code] || "无法定位")), {
        enableHighAccuracy: true,
        timeout: 30000,
        maximumAge: 0,
      });
    });
  }

  function dialog(children) {
    const box = el("dialog", { class: "field-dialog" }, children);
    box.addEventListener("close", () => box.remove());
    document.body.append(box);
    box.showModal();
    return box;
  }

  function closeButton(box) {
    return el("button", { type: "button", text: "关闭", onclick: () => box.close() });
  }

  // --- The form definitions (GET /forms/…): rendering, reading, checking -----------------
  const SKIP = new Set(["client_uuid", "crs", "visited_at"]);
  const join = (path, name) => (path ? path + "." + name : name);

  function named(root, path) {
    return root.querySelector('[name="' + CSS.escape(path) + '"]');
  }

  function fieldInput(def, path) {
    const label = def.label || def.name;
    if (def.type === "object") {
      const box = el("fieldset", { "data-path": path }, [el("legend", { text: label })]);
      for (const f of def.fields) {
        if (SKIP.has(f.name) || f.type === "uuid" || f.type === "point") continue;
        box.append(fieldInput(f, join(path, f.name)));
      }
      return box;
    }
    if (def.type === "list") {
      const item = def.items;
      if (item.type === "string" && item.choices) {
        return el("fieldset", { class: "choices-box" }, [
          el("legend", { text: label }),
          el("div", { class: "choices" }, item.choices.map((c) => el("label", { class: "check" }, [el("input", { type: "checkbox", name: path, value: c.value }), c.label || c.value]))),
        ]);
      }
      if (item.type === "object") return listOfObjects(def, path);
      return el("label", {}, [label + "（每行一项）", el("textarea", { name: path, rows: 3, "data-lines": true })]);
    }
    if (def.choices) {
      if (def.choices.length <= 4) {
        return el("fieldset", {}, [
          el("legend", { text: label + (def.required ? " *" : "") }),
          el("div", { class: "choices" }, def.choices.map((c) => el("label", { class: "check" }, [el("input", { type: "radio", name: path, value: c.value }), c.label || c.value]))),
        ]);
      }
      return el("label", {}, [label + (def.required ? " *" : ""), el("select", { name: path }, [el("option", { value: "", text: "请选择" })].concat(def.choices.map((c) => el("option", { value: c.value, text: c.label || c.value }))))]);
    }
    if (def.type === "boolean") {
      return el("label", { class: "check" }, [el("input", { type: "checkbox", name: path, value: "true" }), label]);
    }
    const attrs = { name: path, "data-type": def.type };
    if (def.type === "integer" || def.type === "number") {
      Object.assign(attrs, { type: "number", inputmode: def.type === "integer" ? "numeric" : "decimal", step: def.type === "integer" ? "1" : "any" });
      if (def.minimum !== undefined) attrs.min = def.minimum;
      if (def.maximum !== undefined) attrs.max = def.maximum;
    } else if (def.type === "id_number") {
      Object.assign(attrs, { maxlength: 18, autocapitalize: "characters", autocomplete: "off" });
    } else if (def.max_length) {
      attrs.maxlength = def.max_length;
    }
    const input = def.type === "string" && def.max_length > 255 ? el("textarea", Object.assign(attrs, { rows: 3 })) : el("input", attrs);
    return el("label", {}, [label + (def.required ? " *" : ""), input]);
  }

  function listOfObjects(def, path) {
    const items = el("div", { class: "items" });
    const box = el("fieldset", { "data-list": path }, [el("legend", { text: def.label })]);
    const add = el("button", { type: "button", text: "添加" + def.label.replace(/^家庭/, ""), onclick: () => addItem() });
    function renumber() {
      Array.from(items.children).forEach((item, i) => {
        item.querySelectorAll("[name]").forEach((input) => {
          input.name = input.name.replace(new RegExp("^" + path.replace(/\./g, "\\.") + "\\.\\d+\\."), path + "." + i + ".");
        });
        item.querySelector("legend").textContent = "第 " + (i + 1) + " 人";
      });
      add.disabled = def.max_items !== undefined && items.children.length >= def.max_items;
    }
    function addItem() {
      const i = items.children.length;
      const item = fieldInput(Object.assign({}, def.items, { label: "", fields: def.items.fields }), path + "." + i);
      item.classList.add("list-item");
      item.append(el("button", { type: "button", text: "删除", onclick: () => { item.remove(); renumber(); } }));
      items.append(item);
      renumber();
      return item;
    }
    box.addItem = addItem;
    box.append(items, add);
    return box;
  }

  function collect(def, path, root) {
    if (def.type === "object") {
      const out = {};
      for (const f of def.fields) {
        if (SKIP.has(f.name) || f.type === "uuid" || f.type === "point") continue;
        const value = collect(f, join(path, f.name), root);
        if (value !== undefined) out[f.name] = value;
      }
      return Object.keys(out).length ? out : undefined;
    }
    if (def.type === "list") {
      const item = def.items;
      if (item.type === "string" && item.choices) {
        const values = Array.from(root.querySelectorAll('input[name="' + CSS.escape(path) + '"]:checked'), (i) => i.value);
        return values.length ? values : undefined;
      }
      if (item.type === "object") {
        const box = root.querySelector('[data-list="' + CSS.escape(path) + '"]');
        const values = [];
        const count = box ? box.querySelector(".items").children.length : 0;
        for (let i = 0; i < count; i++) values.push(collect(item, path + "." + i, root) || {});
        return values.length ? values : undefined;
      }
      const area = named(root, path);
      const lines = area ? area.value.split("\n").map((s) => s.trim()).filter(Boolean) : [];
      return lines.length ? lines : undefined;
    }
    const radios = root.querySelectorAll('input[type=radio][name="' + CSS.escape(path) + '"]');
    if (radios.length) {
      const checked = Array.from(radios).find((r) => r.checked);
      return checked ? checked.value : undefined;
    }
    const input = named(root, path);
    if (input && def.type === "boolean") return input.checked ? true : undefined;
    if (!input || input.value.trim() === "") return undefined;
    if (def.type === "integer" || def.type === "number") return Number(input.value);
    if (def.type === "id_number") return input.value.trim().toUpperCase();
    return input.value.trim();
  }

  function fill(def, path, value, root) {
    if (value === undefined || value === null) return;
    if (def.type === "object") {
      for (const f of def.fields) fill(f, join(path, f.name), value[f.name], root);
      return;
    }
    if (def.type === "list") {
      const item = def.items;
      if (item.type === "string" && item.choices) {
        root.querySelectorAll('input[name="' + CSS.escape(path) + '"]').forEach((i) => { i.checked = value.includes(i.value); });
      } else if (item.type === "object") {
        const box = root.querySelector('[data-list="' + CSS.escape(path) + '"]');
        value.forEach((v, i) => { box.addItem(); fill(item, path + "." + i, v, root); });
      } else {
        const area = named(root, path);
        if (area) area.value = value.join("\n");
      }
      return;
    }
    const radios = root.querySelectorAll('input[type=radio][name="' + CSS.escape(path) + '"]');
    if (radios.length) {
      radios.forEach((r) => { r.checked = r.value === value; });
      return;
    }
    const input = named(root, path);
    if (input && def.type === "boolean") input.checked = Boolean(value);
    else if (input) input.value = value;
  }

  function idNumberProblem(v) {
    if (!/^\d{17}[\dX]$/.test(v)) return "身份证号为 17 位数字加 1 位数字或 X";
    const y = Number(v.slice(6, 10));
    const m = Number(v.slice(10, 12));
    const d = Number(v.slice(12, 14));
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return "身份证号中的出生日期不存在";
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum = 0;
    for (let i = 0; i < 17; i++) sum += Number(v[i]) * weights[i];
    if ("10X98765432"[sum % 11] !== v[17]) return "身份证号校验位不对（是否输错？）";
    return null;
  }

  // The server's checks, from the definition: the same limits, before saving.
  function check(def, value, path, errors) {
    const add = (message) => { (errors[path] = errors[path] || []).push(message); };
    if (value === undefined || value === null) {
      if (def.required) add("必填");
      return;
    }
    if (def.type === "object") {
      for (const f of def.fields) check(f, value[f.name], join(path, f.name), errors);
      return;
    }
    if (def.type === "list") {
      if (def.max_items !== undefined && value.length > def.max_items) add("最多 " + def.max_items + " 项");
      if (def.min_items !== undefined && value.length < def.min_items) add("至少 " + def.min_items + " 项");
      value.forEach((v, i) => check(def.items, v, def.items.type === "object" ? path + "." + i : path, errors));
      return;
    }
    if (def.type === "integer" && !Number.isInteger(value)) return add("请填写整数");
    if ((def.type === "integer" || def.type === "number") && !Number.isFinite(value)) return add("请填写数字");
    if (def.minimum !== undefined && (value < def.minimum || (def.minimum_inclusive === false && value === def.minimum))) add(def.maximum !== undefined ? "须在 " + def.minimum + " 到 " + def.maximum + " 之间" : "不能小于 " + def.minimum);
    else if (def.maximum !== undefined && (value > def.maximum || (def.maximum_inclusive === false && value === def.maximum))) add(def.minimum !== undefined ? "须在 " + def.minimum + " 到 " + def.maximum + " 之间" : "不能大于 " + def.maximum);
    if (typeof value === "string") {
      if (def.min_length !== undefined && value.length < def.min_length) add("至少 " + def.min_length + " 个字");
      if (def.max_length !== undefined && value.length > def.max_length) add("最多 " + def.max_length + " 个字");
      if (def.choices && !def.choices.some((c) => c.value === value)) add("请从选项中选择");
      if (def.type === "id_number") {
        const problem = idNumberProblem(value);
        if (problem) add(problem);
      }
    }
  }

  function checkRules(rules, body, errors, fields) {
    const add = (path, message) => { (errors[path] = errors[path] || []).push(message); };
    const present = (name) => body[name] !== undefined && body[name] !== null;
    const labelOf = (name) => ((fields || []).find((f) => f.name === name) || {}).label || name;
    for (const rule of rules || []) {
      if (rule.rule === "absent_unless") {
        const applies = Object.entries(rule.when).every(([name, values]) => values.includes(body[name]));
        if (!applies) for (const name of rule.fields) if (present(name)) add(name, "请先勾选「" + Object.keys(rule.when).map(labelOf).join("、") + "」");
        continue;
      }
      if (rule.rule === "exactly_one_of") {
        const count = rule.fields.filter(present).length;
        if (count !== 1) add(rule.fields[0], count ? "只能选择一项" : "请选择走访户，或登记新户");
      } else if (rule.rule === "required_when" || rule.rule === "absent_when") {
        const applies = Object.entries(rule.when).every(([name, values]) => values.includes(body[name]));
        if (!applies) continue;
        for (const name of rule.fields) {
          if (rule.rule === "required_when" && !present(name)) add(name, name === "location" ? "入户走访需要定位，请点「重新定位」" : "必填");
          if (rule.rule === "absent_when" && present(name)) delete body[name];
        }
      }
    }
  }

  // --- Views -------------------------------------------------------------------------------
  const TABS = [
    { id: "work", label: "我的工作" },
    { id: "visit", label: "走访", roles: HOUSEHOLD_ROLES },
    { id: "patrol", label: "巡查", roles: ["rescue_staff"] },
    { id: "outbox", label: "发件箱" },
    { id: "me", label: "我" },
  ];

  function currentView() {
    const name = location.hash.replace(/^#/, "") || "work";
    const tab = TABS.find((t) => t.id === name);
    return tab && (!tab.roles || tab.roles.includes(App.me.role)) ? name : "work";
  }

  function go(view, params) {
    App.params = params || {};
    if (location.hash === "#" + view) render();
    else location.hash = view; // hashchange renders (and the phone's back button returns)
  }

  // The tabs at once; the outbox's count of waiting records follows (it reads three stores).
  function renderTabs() {
    const nav = $("#tabs");
    nav.textContent = "";
    const here = currentView();
    for (const tab of TABS) {
      if (tab.roles && !tab.roles.includes(App.me.role)) continue;
      nav.append(el("button", { type: "button", id: "tab-" + tab.id, "aria-current": tab.id === here ? "page" : null, onclick: () => go(tab.id) }, [tab.label]));
    }
    showWaiting();
  }

  async function showWaiting() {
    const waiting = await O.pendingCount();
    const button = $("#tab-outbox");
    const badge = $("#outbox-count");
    if (badge) badge.remove(); // after the await: two counts at once must not both append
    if (button && waiting) button.append(el("span", { class: "badge", id: "outbox-count", text: " " + waiting }));
  }

  let rendering = 0;

  async function render() {
    const turn = ++rendering;
    const view = currentView();
    const main = $("#view");
    const screen = await App.views[view](App.params);
    if (turn !== rendering) return; // a later render (another screen, newer data) wins
    const sameScreen = main.dataset.view === view;
    main.textContent = "";
    main.append(screen);
    main.dataset.view = view;
    renderTabs();
    if (!sameScreen) global.scrollTo(0, 0); // a refreshed list keeps where the worker was
  }

  // Re-render only screens that show lists (never a form the worker is filling in: a dialog,
  // or the patrol start form with its team ticked).
  function refreshLists() {
    const view = currentView();
    if (["work", "outbox", "me", "patrol"].includes(view) && !document.querySelector("dialog[open], #patrol-start")) render();
    else renderTabs();
  }

  // My work ---------------------------------------------------------------------------------
  async function openTasks() {
    const [records, stored] = await Promise.all([S.all("outbox"), S.all("tasks")]);
    const done = new Set(records.filter((r) => r.kind === "task_done" && r.state !== "refused").map((r) => r.body.task_id));
    const tasks = stored.filter((t) => !done.has(t.id) && (t.status === "open" || t.status === "in_progress"));
    return tasks.sort((a, b) => a.due_on.localeCompare(b.due_on) || a.id - b.id);
  }

  function overdueDays(task) {
    return Math.round((new Date(today()) - new Date(task.due_on)) / 86400000);
  }

  App.views.work = async function () {
    const screen = el("section", { id: "work" });
    const tasks = await openTasks();
    // The households (the tasks' names, the list below) are read after the first paint;
    // later renders (a sync's refresh) wait for them, so the screen keeps its scroll.
    const reading = HOUSEHOLD_ROLES.includes(App.me.role) ? painted.then(loadHouseholds) : null;
    if (reading && firstScreenUp) await reading.catch(() => null);
    const byId = {};
    const names = []; // [the task's household name, its household id]
    const taskList = el("ul", { class: "list", id: "task-list" });
    for (const task of tasks) {
      const late = overdueDays(task);
      const name = el("span", { class: "muted" });
      if (task.household_id) names.push([name, task.household_id]);
      taskList.append(el("li", { "data-task-id": task.id }, [
        el("button", { type: "button", class: "item", onclick: () => taskDialog(task, byId[task.household_id]) }, [
          el("strong", { text: task.title }),
          el("div", {}, [
            el("span", { class: "tag", text: L("task_kind", task.kind) }),
            late > 0 ? el("span", { class: "tag overdue", text: "逾期 " + late + " 天" }) : el("span", { class: "tag", text: "到期 " + task.due_on }),
            name,
          ]),
        ]),
      ]));
    }
    screen.append(el("h2", { text: "待办任务（" + tasks.length + "）" }), tasks.length ? taskList : el("p", { class: "muted", text: "没有待办任务" }));
    if (reading) {
      reading.then((rows) => {
        for (const h of rows) byId[h.id] = h;
        for (const [span, id] of names) if (byId[id]) span.textContent = " " + byId[id].head_name;
      }, () => {});
      screen.append(householdSection(reading, (h) => householdDialog(h)));
    }
    return screen;
  };

  // The household list, search and "near me"; `reading` is the promise of the households
  // (the list fills in when they are read).
  function householdSection(reading, onPick) {
    const villages = App.villages || {};
    let households = [];
    const box = el("section", { id: "households" });
    const search = el("input", { type: "search", id: "household-search", placeholder: "姓名、住址或身份证号", autocomplete: "off", enterkeyhint: "search" });
    const list = el("ul", { class: "list", id: "household-list" });
    const status = el("p", { class: "muted", id: "household-status" });
    let near = null;
    const nearButton = el("button", { type: "button", id: "near-me", text: "附近优先", onclick: async () => {
      status.textContent = "正在定位…";
      try {
        const fix = await locate();
        near = [fix.coords.longitude, fix.coords.latitude];
        status.textContent = "按距离排序（定位精度 ±" + Math.round(fix.coords.accuracy) + " 米）";
        show();
      } catch (e) {
        status.textContent = e.message;
      }
    } });
    function matches(h, q) {
      if (!q) return true;
      const idLike = /^[\dXx]{4,18}$/.test(q);
      if (idLike) {
        // ID numbers are masked on the phone (4402**********1234): a full number matches
        // on its first and last four characters, four characters on the last four.
        const Q = q.toUpperCase();
        const ids = [h.head_id_number].concat((h.members || []).map((m) => m.id_number)).filter(Boolean);
        return ids.some((id) => (Q.length === 18 ? id.slice(0, 4) === Q.slice(0, 4) && id.slice(-4) === Q.slice(-4) : id.endsWith(Q)));
      }
      const names = [h.head_name, h.address].concat((h.members || []).map((m) => m.name));
      return names.some((n) => n && n.includes(q));
    }
    function show() {
      const q = search.value.trim();
      let rows = households.filter((h) => matches(h, q));
      if (near) {
        rows = rows.map((h) => ({ h, d: h.location ? distanceM(near, h.location.coordinates) : Infinity })).sort((a, b) => a.d - b.d).map((x) => Object.assign(x.h, { _distance: x.d }));
      } else {
        rows.sort((a, b) => (a.last_visited_at || "").localeCompare(b.last_visited_at || "") || a.head_name.localeCompare(b.head_name, "zh-CN"));
      }
      list.textContent = "";
      for (const h of rows.slice(0, LIST_LIMIT)) {
        list.append(el("li", { "data-household-id": h.id }, [
          el("button", { type: "button", class: "item", onclick: () => onPick(h) }, [
            el("strong", { text: h.head_name }),
            el("span", { class: "muted", text: " " + (villages[h.area_id] || "") + " " + h.address }),
            el("div", {}, [
              el("span", { class: "muted", text: daysAgo(h.last_visited_at) }),
              near && h._distance !== Infinity ? el("span", { class: "tag", text: distanceText(h._distance) }) : null,
            ].concat((h.focus_groups || []).map((g) => el("span", { class: "tag", text: L("focus_group", g) })))),
          ]),
        ]));
      }
      if (!near) status.textContent = rows.length > LIST_LIMIT ? "共 " + rows.length + " 户，显示前 " + LIST_LIMIT + " 户（请搜索）" : "共 " + rows.length + " 户（最久未走访的在前）";
    }
    search.addEventListener("input", show);
    const heading = el("h2", { text: "我的住户" });
    status.textContent = "正在读取本机的住户…";
    box.append(heading, el("div", { class: "row" }, [search, nearButton]), status, list);
    reading.then((rows) => {
      households = rows;
      heading.textContent = "我的住户（" + households.length + "）";
      show();
    }, (e) => {
      status.textContent = "读取本机住户出错：" + (e.message || e);
    });
    return box;
  }

  function householdDialog(h) {
    const villages = App.villages || {};
    const box = dialog([
      el("h2", { text: h.head_name + "户" }),
      el("p", { text: (villages[h.area_id] || "") + " " + h.address + "（" + L("urban_rural", h.urban_rural) + "）" }),
      el("p", { class: "muted", text: daysAgo(h.last_visited_at) + (h.last_visited_at ? "（" + shortTime(h.last_visited_at) + "）" : "") }),
      el("div", {}, (h.focus_groups || []).map((g) => el("span", { class: "tag", text: L("focus_group", g) })).concat((h.programmes || []).map((p) => el("span", { class: "tag", text: L("programme", p) })))),
      el("h3", { text: "家庭成员" }),
      el("ul", { class: "list" }, (h.members || []).map((m) => el("li", { text: m.name + "，" + m.relation + (m.sex ? "，" + L("sex", m.sex) : "") + (m.birth_year ? "，" + m.birth_year + " 年生" : "") + (m.id_number ? "，" + m.id_number : "") }))),
      el("div", { class: "actions" }, [
        el("button", { type: "button", class: "primary", id: "visit-this", text: "记录走访", onclick: () => { box.close(); go("visit", { household_id: h.id }); } }),
      ]),
    ]);
    box.querySelector(".actions").append(closeButton(box));
  }

  function taskDialog(task, household) {
    const note = el("textarea", { name: "outcome_note", id: "outcome-note", maxlength: 4000, rows: 4, placeholder: "办理结果" });
    const error = el("p", { class: "error", "data-form-error": true });
    const form = el("form", {}, [
      el("h2", { text: task.title }),
      el("p", {}, [el("span", { class: "tag", text: L("task_kind", task.kind) }), el("span", { class: "tag", text: "优先级 " + L("priority", task.priority) }), el("span", { class: overdueDays(task) > 0 ? "tag overdue" : "tag", text: "到期 " + task.due_on })]),
      task.reason ? el("p", { text: task.reason }) : null,
      household ? el("p", { class: "muted", text: "住户：" + household.head_name + " " + household.address }) : null,
      el("label", {}, ["办理结果", note]),
      error,
      el("div", { class: "actions" }, [el("button", { type: "submit", class: "primary", id: "task-done", text: "标记完成" })]),
    ]);
    const box = dialog([form]);
    form.querySelector(".actions").append(closeButton(box));
    D.forms.showLimits(form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = note.value.trim();
      if (!text) return D.forms.showErrors(form, { message: "请填写办理结果", fieldErrors: { outcome_note: ["必填"] } });
      await O.add({ kind: "task_done", title: task.title, body: { task_id: task.id, outcome_note: text } });
      box.close();
      render();
    });
  }

  // Record a visit --------------------------------------------------------------------------
  App.views.visit = async function (params) {
    const screen = el("section", { id: "visit" });
    const form = await S.meta("form:visit");
    if (!form) {
      screen.append(el("p", { class: "error", text: "还没有下载走访表单：请在有网络时打开一次本应用。" }));
      return screen;
    }
    O.setLabels(form);
    const F = {};
    for (const f of form.fields) F[f.name] = f;
    const draft = params.draft || {};
    const households = await loadHouseholds();
    let household = households.find((h) => h.id === (params.household_id || draft.household_id)) || null;
    let fix = null;
    const photos = [];

    const chosen = el("p", { id: "chosen-household" });
    const newBox = fieldInput(F.new_household, "new_household");
    newBox.hidden = true;
    newBox.id = "new-household";
    const village = named(newBox, "new_household.area_id");
    if (village) {
      // The village: a choice among the caller's villages (kept on the phone), not an id.
      const select = el("select", { name: "new_household.area_id" }, [el("option", { value: "", text: "请选择" })].concat(Object.entries(App.villages || {}).map(([id, name]) => el("option", { value: id, text: name }))));
      select.dataset.type = "integer";
      village.replaceWith(select);
    }
    function showChosen() {
      chosen.textContent = household ? household.head_name + "户 · " + household.address : newBox.hidden ? "未选择" : "登记新户";
    }
    const householdBox = el("fieldset", {}, [
      el("legend", { text: F.household_id.label + " *" }),
      chosen,
      el("input", { type: "hidden", name: "household_id" }),
      el("div", { class: "actions" }, [
        el("button", { type: "button", id: "pick-household", text: "选择住户", onclick: () => pickHousehold(households, (h) => { household = h; newBox.hidden = true; showChosen(); }) }),
        el("button", { type: "button", id: "register-household", text: "登记新户", onclick: () => { household = null; newBox.hidden = false; showChosen(); } }),
      ]),
      newBox,
    ]);

    const channelBox = fieldInput(F.channel, "channel");
    const gpsText = el("span", { id: "gps-text", text: "尚未定位" });
    const gpsBox = el("div", { class: "gps", id: "gps" }, [
      el("strong", { text: F.location.label + "：" }),
      gpsText,
      el("input", { type: "hidden", name: "location" }),
      el("input", { type: "hidden", name: "accuracy_m" }),
      el("button", { type: "button", id: "locate", text: "重新定位", onclick: () => takeFix() }),
    ]);
    const locatedRule = (form.rules || []).find((r) => r.rule === "required_when" && r.fields.includes("location"));
    const locatedChannels = locatedRule ? locatedRule.when.channel : [];
    function channel() {
      const checked = channelBox.querySelector("input:checked");
      return checked ? checked.value : null;
    }
    async function takeFix() {
      gpsText.textContent = "正在定位…";
      gpsBox.classList.remove("ok");
      try {
        const position = await locate();
        fix = { lon: position.coords.longitude, lat: position.coords.latitude, accuracy: position.coords.accuracy };
        gpsText.textContent = "精度 ±" + Math.round(fix.accuracy) + " 米（" + fix.lat.toFixed(5) + ", " + fix.lon.toFixed(5) + "）";
        gpsBox.classList.add("ok");
      } catch (e) {
        fix = null;
        gpsText.textContent = e.message;
      }
    }
    function onChannel() {
      const located = locatedChannels.includes(channel());
      gpsBox.hidden = !located;
      if (located && !fix) takeFix();
    }
    channelBox.addEventListener("change", onChannel);

    const findings = fieldInput(F.findings, "findings");
    const needs = fieldInput(F.needs, "needs");
    const notes = fieldInput(F.notes, "notes");
    const thumbs = el("div", { class: "thumbs", id: "photo-thumbs" });
    const picker = el("input", { type: "file", id: "photo-input", accept: "image/*", capture: "environment", multiple: true });
    function showPhotos() {
      thumbs.textContent = "";
      photos.forEach((file, i) => {
        const url = URL.createObjectURL(file);
        thumbs.append(el("button", { type: "button", class: "thumb", title: "删除这张", onclick: () => { photos.splice(i, 1); showPhotos(); } }, [el("img", { src: url, alt: "照片 " + (i + 1) })]));
      });
    }
    picker.addEventListener("change", () => {
      photos.push(...picker.files); // kept as taken: their EXIF time and place are the evidence
      picker.value = "";
      showPhotos();
    });
    const error = el("p", { class: "error", "data-form-error": true, role: "alert" });
    const root = el("form", { id: "visit-form", novalidate: true }, [
      el("h2", { text: params.replaces ? "修改后重新发送" : "记录走访" }),
      householdBox,
      channelBox,
      gpsBox,
      findings,
      needs,
      notes,
      el("label", {}, ["照片（可多张）", picker]),
      thumbs,
      error,
      el("button", { type: "submit", class: "primary wide", id: "save-visit", text: "保存（有网络时自动发送）" }),
    ]);
    D.forms.showLimits(root);
    root.addEventListener("input", (event) => {
      // A corrected field loses its error at once (the others keep theirs until saving).
      const field = event.target.closest("label, fieldset") || event.target;
      event.target.removeAttribute("aria-invalid");
      const note = field.nextElementSibling;
      if (note && note.classList.contains("field-error")) note.remove();
    });

    // A refused visit comes back to be corrected: its fields, as sent.
    fill(F.channel, "channel", draft.channel || (F.channel.choices[0] || {}).value, root);
    if (draft.new_household) {
      newBox.hidden = false;
      fill(F.new_household, "new_household", draft.new_household, root);
    }
    for (const name of ["findings", "needs", "notes"]) fill(F[name], name, draft[name], root);
    showChosen();
    onChannel();

    root.addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = S.uuid();
      const body = { client_uuid: key, channel: channel(), visited_at: isoNow() };
      if (household) body.household_id = household.id;
      else if (!newBox.hidden) body.new_household = Object.assign({ client_uuid: S.uuid() }, collect(F.new_household, "new_household", root) || {});
      if (locatedChannels.includes(body.channel) && fix) {
        body.location = { type: "Point", coordinates: [fix.lon, fix.lat] };
        body.accuracy_m = Math.round(fix.accuracy * 10) / 10;
        if (body.new_household) body.new_household.location = body.location;
      }
      for (const name of ["findings", "needs", "notes"]) {
        const value = collect(F[name], name, root);
        if (value !== undefined) body[name] = value;
      }
      const errors = {};
      for (const f of form.fields) check(f, body[f.name], f.name, errors);
      checkRules(form.rules, body, errors, form.fields);
      if (Object.keys(errors).length) {
        D.forms.showErrors(root, { message: "请检查标红的项目", fieldErrors: errors });
        return;
      }
      const title = household ? household.head_name + "户" : (body.new_household.head_name || "") + "户（新登记）";
      const record = { key, kind: "visit", title, body, replaces: params.replaces || null };
      await O.add(record, photos, "visit");
      if (params.replaces) await O.replaced(params.replaces, key);
      go("outbox", { saved: key });
    });
    return el("div", {}, [screen, root]);
  };

  function pickHousehold(households, onPick) {
    const box = dialog([]);
    box.append(householdSection(Promise.resolve(households), (h) => { box.close(); onPick(h); }), closeButton(box));
  }

  // Outbox ------------------------------------------------------------------------------------
  const KIND_LABELS = { visit: "走访", task_done: "任务办结", patrol: "巡查开始", patrol_end: "巡查结束", encounter: "巡查遇见", admit: "入站登记" };
  const STATE_LABELS = { waiting: "等待发送", sent: "已发送", refused: "被拒收", conflict: "冲突" };

  App.views.outbox = async function (params) {
    const screen = el("section", { id: "outbox" });
    const records = (await S.all("outbox")).sort((a, b) => b.created_at.localeCompare(a.created_at));
    const photos = await S.all("photos");
    const points = await S.all("points");
    const tasks = await S.all("tasks");
    const waiting = await O.pendingCount();
    const status = { ok: "已与服务器同步", offline: "网络不可用，稍后自动重试", "signed-out": "登录已过期：重新登录后发送", error: "发送出错，稍后自动重试" }[App.lastSend] || "";
    screen.append(
      el("h2", { text: "发件箱" }),
      el("p", { id: "outbox-summary" }, [el("span", { class: "big-number", text: String(waiting) }), " 项等待发送 ", el("span", { class: "muted", id: "send-status", text: status })]),
      el("button", { type: "button", class: "primary wide", id: "send-now", text: "立即发送", onclick: async () => { await O.flush(); } }),
    );
    if (params.saved) screen.append(el("p", { class: "muted", id: "saved-note", text: "已保存在手机上。有网络时自动发送，关掉应用也不会丢失。" }));
    const list = el("ul", { class: "list", id: "outbox-list" });
    for (const record of records) {
      const own = photos.filter((p) => p.owner === record.key);
      const lines = [
        el("div", {}, [el("strong", { text: (KIND_LABELS[record.kind] || record.kind) + " · " + (record.title || "") }), " ", el("span", { class: "state state-" + record.state, text: STATE_LABELS[record.state] })]),
        el("div", { class: "muted", text: "保存于 " + shortTime(record.created_at) + (record.server_id && record.kind !== "task_done" ? " · 服务器编号 " + record.server_id : "") }),
      ];
      if (own.length) lines.push(el("div", { class: "muted photos-line", text: "照片 " + own.length + " 张，已发送 " + own.filter((p) => p.state === "sent").length + " 张" + (own.some((p) => p.state === "refused") ? "（有照片被拒收：" + own.filter((p) => p.reason).map((p) => p.reason).join("；") + "）" : "") }));
      if (record.kind === "patrol") {
        const left = points.filter((p) => p.patrol === record.key).length;
        lines.push(el("div", { class: "muted", text: "待发送定位点 " + left + " 个" + (record.track_note ? "；" + record.track_note : "") }));
      }
      if (record.user_id !== App.me.id) lines.push(el("div", { class: "reason", text: "属于另一个账号：该账号登录后才会发送" }));
      if (record.kind === "visit" && record.state === "sent" && record.server) {
        const followUp = tasks.filter((t) => t.source && t.source.kind === "visit" && t.source.id === record.server_id);
        lines.push(el("div", { class: "screening" }, [
          "初筛结果：",
          el("strong", { text: record.server.screening_result ? L("screening_result", record.server.screening_result) : "未筛查（未填收入或无标准）" }),
          record.server.presence && record.server.presence.flagged ? el("div", { class: "reason", text: "定位核验：" + record.server.presence.reasons.map((r) => L("presence_reason", r)).join("、") }) : null,
          el("div", { class: "followup", text: "跟进任务：" + (followUp.length ? followUp.map((t) => t.title + "（到期 " + t.due_on + "）").join("；") : "暂无（如有，将出现在「我的工作」）") }),
        ]));
      }
      if (record.reason && record.state !== "sent") lines.push(el("div", { class: "reason", text: "原因：" + record.reason }));
      if (record.replaced_by) lines.push(el("div", { class: "muted", text: "已修改并作为新记录重新发送" }));
      const actions = el("div", { class: "actions" });
      if (record.state === "refused" && record.kind === "visit" && !record.replaced_by) {
        actions.append(el("button", { type: "button", class: "edit-resend", text: "修改后重新发送", onclick: () => go("visit", { draft: record.body, replaces: record.key }) }));
      }
      if (record.state === "conflict") {
        actions.append(el("button", { type: "button", text: "再次发送", onclick: async () => { await O.retry(record.key); } }));
      }
      if (actions.children.length) lines.push(actions);
      list.append(el("li", { "data-key": record.key, "data-kind": record.kind, "data-state": record.state, "data-server-id": record.server_id || "" }, lines));
    }
    screen.append(records.length ? list : el("p", { class: "muted", text: "还没有记录" }));
    return screen;
  };

  // Me ------------------------------------------------------------------------------------------
  App.views.me = async function () {
    const me = App.me;
    const lastSync = await S.meta("last_sync");
    const households = await S.count("households");
    const tasks = await S.count("tasks");
    return el("section", { id: "me" }, [
      el("h2", { text: me.display_name }),
      el("p", { text: L("role", me.role) + " · " + me.area.name }),
      el("p", { class: "muted", text: "本机保存：住户 " + households + " 户，任务 " + tasks + " 项" }),
      el("p", { class: "muted", id: "last-sync", text: "上次同步：" + (lastSync ? shortTime(lastSync) : "尚未同步") }),
      el("p", { class: "muted", text: "设备编号：" + D.deviceId() }),
      el("div", { class: "actions" }, [
        el("button", { type: "button", id: "sync-now", text: "立即同步", onclick: () => sync().then(refreshLists) }),
        el("button", { type: "button", id: "sign-out", text: "退出登录", onclick: signOutDialog }),
      ]),
      el("p", { class: "muted", text: "添加到主屏幕：安卓 Chrome 点菜单「添加到主屏幕」；iPhone Safari 点分享按钮「添加到主屏幕」；微信中请点右上角「在浏览器打开」后添加。" }),
    ]);
  };

  async function signOutDialog() {
    const p = await O.pending();
    const unsent = p.records.length + p.photos.length + (p.points.length ? 1 : 0);
    const box = dialog([
      el("h2", { text: "退出登录" }),
      el("p", { text: "退出后，本机保存的住户、任务等资料将被删除。" }),
      unsent ? el("p", { class: "reason", id: "unsent-note", text: "还有 " + [[p.records.length, " 条记录"], [p.photos.length, " 张照片"], [p.points.length, " 个定位点"]].filter((x) => x[0]).map((x) => x.join("")).join("、") + "没有发送：它们会保留在本机，重新登录后发送。" }) : null,
      el("div", { class: "actions" }, [
        el("button", { type: "button", class: "primary", id: "confirm-sign-out", text: unsent ? "退出（保留未发送记录）" : "退出", onclick: async () => { box.close(); await signOut(false); } }),
        unsent ? el("button", { type: "button", id: "sign-out-drop", text: "退出并删除未发送记录", onclick: async () => {
          if (!global.confirm("未发送的记录删除后无法恢复，服务器上也不会有。确定删除吗？")) return;
          if (!global.confirm("再次确认：删除 " + unsent + " 项未发送的记录并退出？")) return;
          box.close();
          await signOut(true);
        } }) : null,
      ]),
    ]);
    box.querySelector(".actions").append(closeButton(box));
  }

  async function signOut(dropUnsent) {
    if (global.FieldPatrol) global.FieldPatrol.stop();
    await D.signOut();
    await forgetData(dropUnsent);
    App.me = null;
    location.hash = "";
    showSignIn();
  }

  // Everything the phone keeps of the caller's area; unsent records stay unless asked.
  async function forgetData(dropUnsent) {
    for (const store of ["households", "tasks", "meta"]) await S.clear(store);
    householdsChanged();
    if (dropUnsent) {
      for (const store of ["outbox", "photos", "points"]) await S.clear(store);
      return;
    }
    const records = await S.all("outbox");
    await S.delMany("outbox", records.filter(O.settled).map((r) => r.key));
    const photos = await S.all("photos");
    await S.delMany("photos", photos.filter((p) => p.state === "sent").map((p) => p.key));
  }

  // --- Sign-in and sync --------------------------------------------------------------------
  function signInForm(onDone, note) {
    const error = el("p", { class: "error", role: "alert", "data-form-error": true });
    const form = el("form", { id: "login-form", class: "sign-in" }, [
      el("h2", { text: "登录" }),
      note ? el("p", { class: "muted", text: note }) : null,
      el("label", {}, ["用户名", el("input", { name: "username", id: "username", autocomplete: "username", autocapitalize: "off", required: true })]),
      el("label", {}, ["密码", el("input", { name: "password", id: "password", type: "password", autocomplete: "current-password", required: true })]),
      el("button", { type: "submit", class: "primary wide", id: "login-button", text: "登录" }),
      error,
      el("p", { class: "muted", text: "首次登录需要网络；之后没有网络也能打开和记录。" }),
    ]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        const caller = await D.signIn(form.username.value.trim(), form.password.value);
        form.password.value = "";
        await onDone(caller);
      } catch (e) {
        error.textContent = e.message;
      }
    });
    return form;
  }

  function showSignIn() {
    $("#tabs").hidden = true;
    const main = $("#view");
    main.textContent = "";
    main.dataset.view = "sign-in";
    main.append(signInForm(async (caller) => {
      await signedInAs(caller);
      start();
    }));
  }

  // A different account on this phone: the previous one's data goes (its unsent records stay,
  // sent only when it signs in again).
  async function signedInAs(caller) {
    const before = await S.meta("me");
    if (before && before.id !== caller.id) await forgetData(false);
    await S.setMeta("me", caller);
    App.me = caller;
  }

  async function syncStream(stream, store) {
    let cursor = await S.meta("cursor:" + stream);
    for (;;) {
      let page;
      try {
        page = await D.getJson("/sync/" + stream, cursor ? { cursor } : {});
      } catch (e) {
        if (e instanceof D.ApiError && e.status === 422 && cursor) {
          cursor = null; // not a cursor the server knows any more: download everything again
          await S.clear(store);
          if (store === "households") householdsChanged();
          continue;
        }
        throw e;
      }
      await S.putMany(store, page.records);
      await S.delMany(store, page.tombstones.map((t) => t.id));
      if (store === "households" && (page.records.length || page.tombstones.length)) householdsChanged();
      cursor = page.cursor;
      if (!page.has_more) break;
    }
    await S.setMeta("cursor:" + stream, cursor);
  }

  async function syncForm(name) {
    const kept = await S.meta("form:" + name);
    try {
      const response = await D.call("/forms/" + name, { headers: kept ? { "If-None-Match": 'W/"' + kept.version + '"' } : {} });
      await S.setMeta("form:" + name, await response.json());
    } catch (e) {
      if (!(e instanceof D.ApiError && e.status === 304)) throw e;
    }
  }

  async function loadVillages() {
    App.villages = (await S.meta("villages")) || {};
  }

  let syncing = null;
  function sync() {
    if (!syncing) {
      syncing = (async () => {
        try {
          await D.labels.load();
          if (HOUSEHOLD_ROLES.includes(App.me.role)) {
            await syncForm("visit");
            const villages = await D.getJson("/areas", { level: "village", page_size: 500 });
            await S.setMeta("villages", Object.fromEntries(villages.map((v) => [v.id, v.name])));
            await loadVillages();
            await syncStream("households", "households");
          }
          await syncStream("tasks", "tasks");
          if (global.FieldPatrol) await global.FieldPatrol.sync();
          await S.setMeta("last_sync", new Date().toISOString());
          return true;
        } catch (e) {
          if (!(e instanceof D.Offline || e instanceof D.SignedOut)) console.error(e);
          return false;
        }
      })().finally(() => {
        syncing = null;
      });
    }
    return syncing;
  }

  // --- Start -----------------------------------------------------------------------------------
  function showNet() {
    const net = $("#net");
    net.textContent = navigator.onLine ? "在线" : "离线";
    net.classList.toggle("offline", !navigator.onLine);
  }

  function banner(children) {
    const box = $("#banner");
    box.textContent = "";
    if (!children) {
      box.hidden = true;
      return;
    }
    box.append(...[].concat(children));
    box.hidden = false;
  }

  function signInAgain() {
    const box = dialog([]);
    box.append(signInForm(async (caller) => {
      box.close();
      if (caller.id !== App.me.id) {
        await signedInAs(caller);
        location.hash = "";
      }
      banner(null);
      await sync();
      O.flush();
      render();
    }, "登录已过期。本机的记录都在，重新登录后自动发送。"), closeButton(box));
  }

  async function start() {
    $("#tabs").hidden = false;
    await loadVillages();
    const visitForm = await S.meta("form:visit");
    if (visitForm) O.setLabels(visitForm); // a refusal names its fields in Chinese
    await render();
    document.documentElement.dataset.ready = "1"; // the benchmark's "interactive" mark
    setTimeout(firstScreenShown, 0); // the households are read after the browser has painted
    if (!D.signedIn()) expired();
    if (await sync()) refreshLists();
    O.flush();
  }

  function expired() {
    banner(["登录已过期：可以继续记录，重新登录后才会发送。", el("button", { type: "button", id: "sign-in-again", text: "重新登录", onclick: signInAgain })]);
  }

  async function boot() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).catch((e) => console.warn("service worker", e));
    }
    showNet();
    global.addEventListener("online", () => { showNet(); if (App.me && D.signedIn()) sync().then((ok) => ok && refreshLists()); });
    global.addEventListener("offline", showNet);
    global.addEventListener("hashchange", () => { if (App.me) render(); });
    global.addEventListener("field:outbox", () => { if (App.me) refreshLists(); });
    global.addEventListener("field:sent", (e) => {
      App.lastSend = e.detail.status;
      if (e.detail.status === "signed-out" && App.me) expired();
    });
    global.addEventListener("doudi:signed-out", () => { if (App.me) expired(); });
    // The follow-up task a visit produces is made by a job on the server: fetch it shortly.
    let followUps = null;
    global.addEventListener("field:visit-sent", () => {
      clearTimeout(followUps);
      followUps = setTimeout(() => sync().then((ok) => ok && refreshLists()), 8000);
    });
    S.persist();
    App.me = (await S.meta("me")) || null;
    if (!App.me && D.signedIn()) {
      try {
        await signedInAs(await D.me(true));
      } catch (_e) {
        App.me = null;
      }
    }
    if (App.me) start();
    else {
      showSignIn();
      document.documentElement.dataset.ready = "1";
    }
  }

  global.FieldApp = { App, go, render, el, locate, syncForm, fieldInput, collect, check, checkRules, isoNow, today, shortTime, distanceM, dialog, closeButton, refreshLists, HOUSEHOLD_ROLES };
  document.addEventListener("DOMContentLoaded", boot);
})(window);
