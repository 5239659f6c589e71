/* The admins' page: accounts (a lost phone: revoke its sign-ins, reset the password),
 * the area tree and GeoJSON import, programme standards, failed background jobs, the
 * audit log. Tabs are hash routes (#users, #areas, #standards, #jobs, #audit?actor_id=3),
 * so back, reload and a new tab keep the place. Plain JavaScript on static/common. */
(function () {
  "use strict";

  const D = window.Doudi;
  const el = D.shell.el;
  const label = (vocabulary, code) => D.labels.label(vocabulary, code);
  const $ = (sel, root) => (root || document).querySelector(sel);
  const TABS = ["users", "areas", "standards", "jobs", "audit"];
  const state = { me: null, areas: [], areaById: new Map(), users: new Map(), user: null, timezone: "Asia/Shanghai", auditPage: 1, justImported: new Set() };

  function status(text) {
    $("#status").textContent = text || "";
  }

  function when(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString("zh-CN", { timeZone: state.timezone, hour12: false });
  }

  // A table row whose cells carry their column name (shown before each value at phone width).
  function row(table, cells) {
    const heads = Array.from(table.tHead.rows[0].cells, (th) => th.textContent);
    return el("tr", {}, cells.map((cell, i) => {
      const td = el("td", { "data-label": heads[i] || "" });
      if (cell instanceof Node) td.append(cell);
      else td.textContent = cell === null || cell === undefined ? "" : String(cell);
      return td;
    }));
  }

  function fill(table, rows, empty) {
    const body = table.tBodies[0];
    body.textContent = "";
    if (!rows.length) body.append(el("tr", {}, el("td", { colspan: table.tHead.rows[0].cells.length, class: "muted", text: empty || "没有记录" })));
    rows.forEach((r) => body.append(r));
  }

  // Every page of a list (the area tree, the users behind the audit log's names).
  async function all(path, query) {
    const rows = [];
    for (let page = 1; ; page += 1) {
      const response = await D.call(path, { query: Object.assign({ page, page_size: 500 }, query || {}) });
      const batch = await response.json();
      rows.push(...batch);
      if (batch.length < 500 || rows.length >= Number(response.headers.get("X-Total-Count"))) return rows;
    }
  }

  function areaName(id) {
    const area = state.areaById.get(id);
    return area ? area.name : id ? "#" + id : "";
  }

  function userName(id) {
    if (!id) return "系统";
    const user = state.users.get(id);
    return user ? user.display_name + "（" + user.username + "）" : "#" + id;
  }

  function fillChoices(root) {
    root.querySelectorAll("select[data-choices]").forEach((select) => {
      D.labels.choices(select.dataset.choices).forEach((c) => select.append(el("option", { value: c.value, text: c.label })));
    });
  }

  function fillAreaSelects() {
    document.querySelectorAll("select[data-areas]").forEach((select) => {
      const keep = select.value;
      select.querySelectorAll("option[data-area]").forEach((o) => o.remove());
      for (const area of state.areas) {
        let depth = 0;
        for (let up = state.areaById.get(area.parent_id); up; up = state.areaById.get(up.parent_id)) depth += 1;
        select.append(el("option", { value: area.id, "data-area": true, text: "　".repeat(Math.max(0, depth)) + area.name }));
      }
      select.value = keep;
    });
  }

  function fillUserSelects() {
    document.querySelectorAll("select[data-users]").forEach((select) => {
      const keep = select.value;
      select.querySelectorAll("option[data-user]").forEach((o) => o.remove());
      for (const user of state.users.values()) select.append(el("option", { value: user.id, "data-user": true, text: user.display_name + "（" + user.username + "）" }));
      select.value = keep;
    });
  }

  async function loadAreas() {
    state.areas = await all("/areas");
    state.areaById = new Map(state.areas.map((a) => [a.id, a]));
    fillAreaSelects();
  }

  async function loadUsers() {
    state.users = new Map((await all("/users")).map((u) => [u.id, u]));
    fillUserSelects();
  }

  function openDialog(dialog) {
    dialog.showModal();
    dialog.querySelectorAll("[data-close]").forEach((b) => (b.onclick = () => dialog.close()));
  }

  // ------------------------------------------------------------------ routing

  function route() {
    const [name, query] = location.hash.replace(/^#/, "").split("?");
    const tab = TABS.includes(name) ? name : "users";
    const params = new URLSearchParams(query || "");
    TABS.forEach((t) => {
      $("#" + t).hidden = t !== tab;
      $('[data-tab="' + t + '"]').setAttribute("aria-current", t === tab ? "true" : "false");
    });
    status("");
    const show = { users: showUsers, areas: showAreas, standards: showStandards, jobs: showJobs, audit: showAudit }[tab];
    show(params).catch((e) => {
      // A 422 on a filter (a period the wrong way round) is shown next to its field.
      const form = $("#" + tab + " form");
      if (form && e instanceof D.ApiError && e.status === 422) D.forms.showErrors(form, e);
      else status(e.message);
    });
  }

  function formQuery(form) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(D.forms.values(form))) params.set(key, value);
    return params;
  }

  function setForm(form, params) {
    for (const field of form.elements) {
      if (field.name && field.type !== "file") field.value = params.get(field.name) || "";
    }
  }

  // ------------------------------------------------------------------ users

  async function showUsers(params) {
    const form = $("#user-filter");
    setForm(form, params);
    const mine = D.ticket("users");
    const rows = await D.getJson("/users", Object.assign({ page_size: 500 }, Object.fromEntries(params)));
    if (!mine.current()) return;
    const table = $("#users-table");
    fill(table, rows.map((u) => {
      const tr = row(table, [
        u.display_name, u.username, label("role", u.role), u.area.name, u.active ? "在用" : "已停用",
        el("button", { type: "button", class: "manage", "data-user-id": u.id, text: "管理", onclick: () => openUser(u.id) }),
      ]);
      if (!u.active) tr.classList.add("inactive");
      return tr;
    }), "没有符合条件的账号");
  }

  async function openUser(id) {
    const dialog = $("#user-dialog");
    $("#user-message").textContent = "";
    $("#user-error").textContent = "";
    $("#temporary").hidden = true;
    await renderUser(await D.getJson("/users/" + id));
    if (!dialog.open) openDialog(dialog);
  }

  async function renderUser(user) {
    state.user = user;
    $("#user-title").textContent = user.display_name + "（" + user.username + "）";
    $("#user-facts").textContent = label("role", user.role) + " · " + user.area.name + " · " + (user.active ? "在用" : "已停用") + (user.must_change_password ? " · 待修改临时密码" : "");
    $("#toggle-active").textContent = user.active ? "停用账号" : "重新启用";
    $("#user-audit").href = "#audit?table_name=users&record_id=" + user.id;
    const sessions = await D.getJson("/users/" + user.id + "/sessions", { page_size: 50 });
    const table = $("#sessions-table");
    fill(table, sessions.map((s) => row(table, [s.device_id, when(s.created_at), when(s.last_used_at), s.revoked_at ? "已撤销 " + when(s.revoked_at) : "有效"])), "从未登录");
  }

  async function userAction(action) {
    const user = state.user;
    $("#user-error").textContent = "";
    try {
      await action(user);
      await renderUser(await D.getJson("/users/" + user.id));
    } catch (e) {
      $("#user-error").textContent = e.message;
    }
  }

  function bindUsers() {
    $("#user-filter").addEventListener("submit", (event) => {
      event.preventDefault();
      const query = formQuery(event.target).toString();
      location.hash = "users" + (query ? "?" + query : "");
    });
    $("#revoke-tokens").addEventListener("click", () => userAction(async (user) => {
      if (!confirm("撤销 " + user.display_name + " 在所有设备上的登录？")) return;
      const answer = await D.sendJson("POST", "/users/" + user.id + "/revoke-tokens", {});
      $("#user-message").textContent = "已撤销 " + answer.revoked_sessions + " 个登录。";
    }));
    $("#reset-password").addEventListener("click", () => userAction(async (user) => {
      if (!confirm("重置 " + user.display_name + " 的密码？其所有登录将被撤销。")) return;
      const answer = await D.sendJson("POST", "/users/" + user.id + "/password", {});
      $("#temp-password").textContent = answer.temporary_password;
      $("#temporary").hidden = false;
      $("#user-message").textContent = "密码已重置，已撤销 " + answer.revoked_sessions + " 个登录。";
    }));
    $("#toggle-active").addEventListener("click", () => userAction(async (user) => {
      if (user.active && !confirm("停用 " + user.display_name + " 的账号？其所有登录将被撤销。")) return;
      await D.sendJson("PATCH", "/users/" + user.id, { active: !user.active });
      $("#user-message").textContent = user.active ? "账号已停用。" : "账号已重新启用。";
      route();
    }));
    $("#user-audit").addEventListener("click", () => $("#user-dialog").close());
    $("#new-user").addEventListener("click", () => {
      const form = $("#new-user-form");
      D.forms.clearErrors(form);
      openDialog($("#new-user-dialog"));
    });
    $("#new-user-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const body = D.forms.values(form);
      if (body.area_id) body.area_id = Number(body.area_id);
      try {
        const user = await D.sendJson("POST", "/users", body);
        form.reset();
        $("#new-user-dialog").close();
        state.users.set(user.id, user);
        route();
        status("已创建账号 " + user.username);
      } catch (e) {
        D.forms.showErrors(form, e);
      }
    });
  }

  // ------------------------------------------------------------------ areas

  async function showAreas() {
    await loadAreas();
    const children = new Map();
    for (const area of state.areas) {
      const key = state.areaById.has(area.parent_id) ? area.parent_id : null;
      if (!children.has(key)) children.set(key, []);
      children.get(key).push(area);
    }
    const branch = (parentId) => (children.get(parentId) || []).map((area) => el("li", { "data-code": area.code }, [
      el("span", { class: state.justImported.has(area.code) ? "new" : null, text: area.name + "（" + label("area_level", area.level) + "）" }),
      el("span", { class: "code", text: area.code }),
      children.has(area.id) ? el("ul", {}, branch(area.id)) : null,
    ]));
    const tree = $("#area-tree");
    tree.textContent = "";
    tree.append(...branch(null));
  }

  function bindAreas() {
    $("#area-import").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const errors = $("#import-errors");
      errors.textContent = "";
      $("#import-result").textContent = "";
      D.forms.clearErrors(form);
      try {
        const body = new FormData();
        body.append("file", form.file.files[0]);
        const answer = await (await D.call("/areas/import", { method: "POST", body })).json();
        state.justImported = new Set(answer.created.concat(answer.updated).map((a) => a.code));
        $("#import-result").textContent = "导入完成：新增 " + answer.created.length + " 个，更新 " + answer.updated.length + " 个。";
        form.reset();
        await showAreas();
      } catch (e) {
        // A bad feature is named by its index: "features.3.geometry" -> 第 4 个要素.
        const byPath = D.forms.flatten(e.fieldErrors || {}, "");
        const general = form.querySelector("[data-form-error]");
        for (const [path, messages] of Object.entries(byPath)) {
          if (path === "file") continue;
          const match = /^features\.(\d+)\.?(.*)$/.exec(path);
          const where = match ? "第 " + (Number(match[1]) + 1) + " 个要素" + (match[2] ? "（" + match[2] + "）" : "") : path;
          errors.append(el("li", { text: where + "：" + messages.map(D.forms.translate).join("；") }));
        }
        D.forms.showErrors(form, { message: e.message, fieldErrors: byPath.file ? { file: byPath.file } : {} });
        if (!(e instanceof D.ApiError)) general.textContent = e.message;
      }
    });
  }

  // ------------------------------------------------------------------ standards

  async function showStandards() {
    if (!state.areas.length) await loadAreas();
    const form = $("#standard-form");
    if (!form.area_id.value) form.area_id.value = state.me.area_id;
    const rows = await all("/programme-standards");
    const table = $("#standards-table");
    const today = new Date().toLocaleDateString("sv-SE", { timeZone: state.timezone });
    fill(table, rows.map((s) => row(table, [
      areaName(s.area_id), label("programme", s.programme), label("urban_rural", s.urban_rural), s.monthly_amount,
      s.valid_from, s.valid_to || "长期", s.source || "",
      !s.valid_to || s.valid_to >= today ? el("button", { type: "button", class: "close-standard", "data-standard-id": s.id, text: "停止执行", onclick: () => closeStandard(s) }) : "",
    ])), "还没有救助标准");
  }

  function closeStandard(standard) {
    const form = $("#close-standard-form");
    D.forms.clearErrors(form);
    form.dataset.id = standard.id;
    $("#close-standard-what").textContent = areaName(standard.area_id) + " · " + label("programme", standard.programme) + " · " + label("urban_rural", standard.urban_rural) + " · " + standard.monthly_amount + " 元（" + standard.valid_from + " 起）";
    form.valid_to.value = "";
    openDialog($("#close-standard-dialog"));
  }

  function bindStandards() {
    $("#standard-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const body = D.forms.values(form);
      body.area_id = Number(body.area_id);
      try {
        await D.sendJson("POST", "/programme-standards", body);
        D.forms.clearErrors(form);
        form.monthly_amount.value = "";
        form.source.value = "";
        form.source.dispatchEvent(new Event("input")); // its "0/255"
        status("已新增救助标准");
        await showStandards();
      } catch (e) {
        D.forms.showErrors(form, e);
      }
    });
    $("#close-standard-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      try {
        await D.sendJson("PATCH", "/programme-standards/" + form.dataset.id, { valid_to: form.valid_to.value });
        $("#close-standard-dialog").close();
        status("救助标准已设定截止日期");
        await showStandards();
      } catch (e) {
        D.forms.showErrors(form, e);
      }
    });
  }

  // ------------------------------------------------------------------ jobs

  async function showJobs() {
    const outbox = await all("/jobs/failed");
    const table = $("#failed-jobs");
    fill(table, outbox.map((j) => row(table, [j.id, j.func, JSON.stringify(j.args), when(j.created_at), j.attempts, j.last_error || ""])), "没有失败的任务");
    table.querySelectorAll("td:last-child").forEach((td) => td.classList.add("error-text"));
    const rq = $("#rq-failed");
    try {
      const jobs = await D.getJson("/jobs/rq-failed", { page_size: 100 });
      $("#rq-note").textContent = "";
      fill(rq, jobs.map((j) => row(rq, [j.id, j.func_name, JSON.stringify(j.args), when(j.ended_at), j.error || ""])), "没有失败的任务");
      rq.querySelectorAll("td:last-child").forEach((td) => td.classList.add("error-text"));
    } catch (e) {
      if (!(e instanceof D.ApiError) || e.status !== 403) throw e;
      $("#rq-note").textContent = "任务队列不分区域，仅县级管理员可查看。";
      fill(rq, []);
    }
  }

  // ------------------------------------------------------------------ audit

  // One record, or the records of an entry about several (a sync batch's hundred visits:
  // the first few named, the rest counted, so the row stays readable; each is found by
  // filtering on its id).
  const RECORDS_NAMED = 3;
  function recordText(entry) {
    const ids = entry.record_ids;
    if (!ids || !ids.length) return "#" + entry.record_id;
    const named = "#" + ids.slice(0, RECORDS_NAMED).join("、#");
    return ids.length > RECORDS_NAMED ? named + " 等 " + ids.length + " 条" : named;
  }

  // An entry about several records has their changes keyed by record id.
  function changesText(entry) {
    if (entry.record_ids && entry.record_ids.length) {
      return Object.entries(entry.changes || {}).map(([id, fields]) =>
        "#" + id + " " + changesText({ changes: fields }).split("\n").join("；")).join("\n");
    }
    return Object.entries(entry.changes || {}).map(([field, change]) => {
      if (change && typeof change === "object") {
        if (change.changed === true) return field + "：（已更改，内容不记录）"; // a password
        if ("old" in change && "new" in change) return field + "：" + JSON.stringify(change.old) + " → " + JSON.stringify(change.new);
        if ("new" in change) return field + "：" + JSON.stringify(change.new);
      }
      return field + "：" + JSON.stringify(change);
    }).join("\n");
  }

  async function showAudit(params, more) {
    if (!state.users.size) await loadUsers();
    if (!state.areas.length) await loadAreas();
    const form = $("#audit-filter");
    setForm(form, params);
    state.auditPage = more ? state.auditPage + 1 : 1;
    const mine = D.ticket("audit", more);
    const response = await D.call("/audit", { query: Object.assign({ page: state.auditPage, page_size: 50 }, Object.fromEntries(params)) });
    const entries = await response.json();
    if (!mine.current()) return;
    const total = Number(response.headers.get("X-Total-Count"));
    const table = $("#audit-table");
    const rows = entries.map((e) => {
      const tr = row(table, [when(e.at), userName(e.actor_id), label("audit_action", e.action), label("audit_table", e.table_name) + " " + recordText(e), changesText(e)]);
      tr.lastChild.classList.add("changes");
      return tr;
    });
    if (more) rows.forEach((r) => table.tBodies[0].append(r));
    else fill(table, rows, "没有符合条件的记录");
    const shown = table.tBodies[0].querySelectorAll("tr").length;
    $("#audit-count").textContent = "共 " + total + " 条" + (total > shown ? "，已显示 " + shown + " 条" : "");
    $("#audit-more").hidden = !(total > shown);
  }

  function bindAudit() {
    $("#audit-filter").addEventListener("submit", (event) => {
      event.preventDefault();
      const query = formQuery(event.target).toString();
      const next = "audit" + (query ? "?" + query : "");
      if (location.hash === "#" + next) route();
      else location.hash = next;
    });
    $("#audit-more").addEventListener("click", () => {
      const query = location.hash.split("?")[1] || "";
      showAudit(new URLSearchParams(query), true).catch((e) => status(e.message));
    });
  }

  // ------------------------------------------------------------------ start

  async function start(me) {
    state.me = me;
    await D.labels.load();
    try {
      state.timezone = (await D.getJson("/dashboard/config")).timezone || state.timezone;
    } catch (_e) {
      /* the county's zone by default */
    }
    fillChoices(document);
    D.forms.showLimits(document);
    bindUsers();
    bindAreas();
    bindStandards();
    bindAudit();
    await Promise.all([loadAreas(), loadUsers()]);
    window.addEventListener("hashchange", route);
    route();
  }

  D.shell.mount({ title: "系统管理", roles: ["admin"], start });
})();
