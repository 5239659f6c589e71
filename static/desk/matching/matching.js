/* The data-matching desk page (数据比对): upload a department's list and watch its import,
 * the lists with their outcomes, the review queue (a list row beside the register person
 * proposed), the warnings with their follow-up tasks and each town's 预警处置率, and the
 * sources. docs/data-matching.md says what the API does.
 *
 * The place lives in the address (#lists, #lists/5, #review?list_id=5, #warnings?level=red,
 * #sources), so back, reload and a new tab keep it.
 */
(function () {
  "use strict";

  const D = window.Doudi;
  const el = D.shell.el;
  const label = (vocabulary, code) => D.labels.label(vocabulary, code);
  const view = document.getElementById("view");
  const status = document.getElementById("status");
  const POLL_MS = 1000;
  let zone = "Asia/Shanghai";
  let caller = null;
  let sources = null; // id -> source, loaded once
  let poll = null; // the timer of the list being watched
  let rendering = 0; // a slower render never overwrites a newer one

  // ------------------------------------------------------------------ the address

  function place() {
    const [path, search] = location.hash.replace(/^#/, "").split("?");
    const parts = (path || "lists").split("/");
    return { section: parts[0], id: parts[1] ? Number(parts[1]) : null, query: new URLSearchParams(search || "") };
  }

  function go(hash) {
    if (location.hash === hash) render();
    else location.hash = hash;
  }

  // ------------------------------------------------------------------ small builders

  function time(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString("zh-CN", { timeZone: zone, hour12: false, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  function card(title, children, id) {
    return el("section", { class: "card", id }, [title ? el("h2", { text: title }) : null].concat(children || []));
  }

  function facts(rows) {
    const dl = el("dl", { class: "facts" });
    for (const [name, value] of rows) {
      if (value === null || value === undefined || value === "") continue;
      dl.append(el("dt", { text: name }), el("dd", {}, [value instanceof Node ? value : String(value)]));
    }
    return dl;
  }

  // A list as a table that turns into labelled cards at phone width.
  // A figures table (`figures`) stays a table at phone width: its columns marked
  // {wide: true} are left out there instead.
  function table(columns, rows, id, figures) {
    const cls = (c) => (c[2] && c[2].wide ? "wide-only" : null);
    const head = el("tr", {}, columns.map((c) => el("th", { text: c[0], class: cls(c) })));
    const body = el("tbody", {}, rows.map((row) => el("tr", {}, columns.map((c) => {
      const value = c[1](row);
      return el("td", { "data-label": c[0], class: cls(c) }, [value instanceof Node ? value : String(value === null || value === undefined ? "" : value)]);
    }))));
    if (!rows.length) body.append(el("tr", {}, [el("td", { colspan: columns.length, class: "muted", text: "暂无记录" })]));
    return el("table", { class: figures ? "figures" : "list", id }, [el("thead", {}, [head]), body]);
  }

  async function list(path, query) {
    const response = await D.call(path, { query: Object.assign({ page_size: 100 }, query || {}) });
    const rows = await response.json();
    rows.total = Number(response.headers.get("X-Total-Count") || rows.length);
    return rows;
  }

  function more(rows) {
    return rows.total > rows.length ? el("p", { class: "muted", text: `共 ${rows.total} 条，显示最新 ${rows.length} 条` }) : null;
  }

  function levelBadge(level) {
    return el("span", { class: "badge level-" + level, text: label("warning_level", level) });
  }

  function explain(error) {
    if (error instanceof D.SignedOut || error instanceof D.Offline) return error.message;
    if (error.status === 409 && /imported already/.test(error.detail)) {
      const number = (error.detail.match(/#(\d+)/) || [])[1];
      return "这个文件已为该数据源导入过" + (number ? "（名单 #" + number + "）" : "") + "，同一文件不会重复导入";
    }
    if (error.status === 409 && /not waiting for review/.test(error.detail)) return "这一行已由他人处理，列表已刷新";
    return error.message;
  }

  async function loadSources() {
    if (!sources) {
      const rows = await list("/matching/sources", { page_size: 500 });
      sources = new Map(rows.map((s) => [s.id, s]));
    }
    return sources;
  }

  const sourceName = (id) => (sources && sources.get(id) ? sources.get(id).name : "#" + id);

  // The review count in the tab: always the server's, after anything that can change it.
  async function refreshReviewCount() {
    const response = await D.call("/matching/review", { query: { page_size: 1 } });
    const total = Number(response.headers.get("X-Total-Count") || 0);
    document.getElementById("review-count").textContent = total ? String(total) : "";
    return total;
  }

  // ------------------------------------------------------------------ lists

  function uploadForm() {
    const select = el("select", { name: "source_id", id: "upload-source", required: true }, [el("option", { value: "", text: "请选择" })]
      .concat(Array.from(sources.values()).map((s) => el("option", { value: s.id, text: s.name + "（" + s.department + "）" }))));
    const file = el("input", { type: "file", name: "file", id: "upload-file", accept: ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", required: true });
    const hint = el("p", { class: "muted", id: "upload-hint" });
    const showHint = () => {
      const source = sources.get(Number(select.value));
      hint.textContent = source
        ? "该数据源的表头：" + Object.entries(source.columns).map(([field, column]) => label("mapped_field", field) + "＝" + column).join("，") + "；编码：" + label("source_encoding", source.encoding)
        : "CSV（UTF-8、GBK、GB18030）或 XLSX";
    };
    select.addEventListener("change", showHint);
    showHint();
    const button = el("button", { type: "submit", class: "primary", id: "upload-submit", text: "上传并比对" });
    // Each field in its own box, so that its error shows under it.
    const form = el("form", { id: "upload-form" }, [
      el("div", { class: "field" }, [el("label", {}, ["数据源", select])]),
      el("div", { class: "field" }, [el("label", {}, ["名单文件", file])]),
      el("div", { class: "field" }, [button]),
      el("p", { class: "error", role: "alert", "data-form-error": true }),
    ]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      D.forms.clearErrors(form);
      const body = new FormData();
      body.append("source_id", select.value);
      if (file.files[0]) body.append("file", file.files[0]);
      button.disabled = true;
      try {
        const created = await (await D.call("/matching/lists", { method: "POST", body })).json();
        go("#lists/" + created.id);
      } catch (e) {
        // A header without the mapped columns is the file's fault: shown beside the file.
        if (e.fieldErrors && e.fieldErrors.columns) {
          e.fieldErrors = Object.assign({}, e.fieldErrors, { file: [].concat(e.fieldErrors.file || [], e.fieldErrors.columns) });
          delete e.fieldErrors.columns;
        }
        if (e.status === 409) e.fieldErrors = { file: [explain(e)] };
        D.forms.showErrors(form, e);
      } finally {
        button.disabled = false;
      }
    });
    return [form, hint];
  }

  function outcomes(l) {
    return `已匹配 ${l.rows_matched} · 待复核 ${l.rows_review} · 未匹配 ${l.rows_unmatched} · 无效 ${l.rows_bad}`;
  }

  function statusBadge(l) {
    return el("span", { class: "badge" + (l.status === "done" ? " ok" : l.status === "failed" ? " level-red" : ""), text: label("list_status", l.status) });
  }

  async function renderLists(turn) {
    await loadSources();
    const lists = await list("/matching/lists");
    if (turn !== rendering) return;
    view.replaceChildren(
      card("上传名单", uploadForm()),
      card("已上传的名单", [
        table([
          ["名单", (l) => el("a", { href: "#lists/" + l.id, text: "#" + l.id + " " + l.filename })],
          ["数据源", (l) => sourceName(l.source_id)],
          ["上传时间", (l) => time(l.created_at)],
          ["状态", statusBadge],
          ["行数", (l) => l.rows_done],
          ["比对结果", outcomes],
          ["预警", (l) => l.warnings_raised],
          ["线索", (l) => l.leads_made],
        ], lists, "lists-table"),
        more(lists),
      ]),
    );
  }

  function progressCard(l) {
    const running = l.status === "queued" || l.status === "running";
    return card("导入进度", [
      el("p", {}, [statusBadge(l), " ", el("span", { id: "list-status-text", text: running ? "正在导入，页面会自动更新" : l.status === "done" ? "导入完成 " + time(l.finished_at) : l.error || "" })]),
      // The total is unknown until the end (the file is read as a stream): an indeterminate
      // bar while it runs, a full one when done.
      running ? el("progress", { id: "list-progress" }) : el("progress", { id: "list-progress", max: 1, value: l.status === "done" ? 1 : 0 }),
      el("div", { class: "progress-figures" }, [
        el("span", { id: "rows-done", text: "已处理 " + l.rows_done + " 行" }),
        el("span", { id: "rows-per-second", text: l.rows_per_second ? "每秒 " + Math.round(l.rows_per_second) + " 行" : "" }),
        el("span", { id: "list-outcomes", text: outcomes(l) }),
        el("span", { text: `预警 ${l.warnings_raised} · 新线索 ${l.leads_made}` }),
      ]),
    ], "progress-card");
  }

  async function badRows(l) {
    if (!l.rows_bad) return card("无效行", [el("p", { class: "muted", text: "没有无效行" })], "bad-rows");
    const rows = await list(`/matching/lists/${l.id}/rows`, { status: "bad" });
    return card("无效行（原样保留，附原因）", [
      table([
        ["行号", (r) => r.row_no],
        ["原因", (r) => label("bad_reason", r.bad_reason)],
        ["姓名", (r) => r.name || ""],
        ["原始内容", (r) => Object.values(r.raw || {}).join("，")],
      ], rows, "bad-rows-table"),
      more(rows),
    ], "bad-rows");
  }

  async function renderList(turn, id) {
    await loadSources();
    const l = await D.getJson("/matching/lists/" + id);
    if (turn !== rendering) return;
    if (status.textContent === new D.Offline().message) status.textContent = ""; // back online
    const running = l.status === "queued" || l.status === "running";
    const parts = [
      el("p", { class: "back" }, [el("a", { href: "#lists", text: "← 全部名单" })]),
      card("名单 #" + l.id + " " + l.filename, [facts([
        ["数据源", sourceName(l.source_id)],
        ["文件", `${l.file_format.toUpperCase()}，${(l.size_bytes / 1024).toFixed(1)} KB${l.encoding ? "，" + l.encoding : ""}`],
        ["上传时间", time(l.created_at)],
      ])]),
      progressCard(l),
    ];
    if (!running) {
      parts.push(card("下一步", [
        l.rows_review ? el("a", { href: "#review?list_id=" + l.id, id: "to-review", text: `复核 ${l.rows_review} 条待定配对` }) : el("span", { class: "muted", text: "没有待复核的配对" }),
        " · ",
        el("a", { href: "#warnings?list_id=" + l.id, text: `查看本名单的 ${l.warnings_raised} 条预警` }),
      ]));
      parts.push(await badRows(l));
      if (turn !== rendering) return;
    }
    view.replaceChildren(...parts);
    if (running) poll = setTimeout(() => render(), POLL_MS);
    else refreshReviewCount().catch(() => {});
  }

  // ------------------------------------------------------------------ review queue

  function pair(item) {
    const row = item.row;
    const person = item.candidate;
    const attrs = Object.entries(row.attributes || {}).map(([k, v]) => [k, v]);
    return el("article", { class: "card review-item", "data-row-id": row.id }, [
      el("div", { class: "verdict" }, [
        el("strong", { text: label("match_method", row.method) }),
        row.score !== null && row.score !== undefined ? el("span", { text: "匹配权重 " + row.score.toFixed(1) }) : null,
        el("span", { class: "muted", text: "名单 #" + row.list_id + " 第 " + row.row_no + " 行" }),
      ]),
      el("ul", { class: "reasons" }, (row.reasons || []).map((r) => el("li", { text: r }))),
      el("div", { class: "pair" }, [
        el("div", { class: "row-side" }, [el("h3", { text: "名单上的人" }), facts([
          ["姓名", row.name],
          ["身份证号", row.id_number],
          ["出生日期", row.birth_date],
          ["性别", row.sex ? label("sex", row.sex) : ""],
          ["地址", row.address],
          ["金额", row.amount],
          ["发生日期", row.event_date],
        ].concat(attrs))]),
        el("div", { class: "candidate-side" }, [el("h3", { text: "登记中的人" }), person ? facts([
          ["姓名", person.name],
          ["身份证号", person.id_number],
          ["出生年份", person.birth_year],
          ["性别", person.sex ? label("sex", person.sex) : ""],
          ["与户主关系", person.relation ? label("relation", person.relation) : ""],
          ["地址", person.address],
          ["户", "#" + person.household_id],
        ]) : el("p", { class: "muted", text: "登记中已无此人" })]),
      ]),
      el("div", { class: "buttons" }, [
        el("button", { type: "button", class: "reject", "data-decision": "reject", text: "不是同一人", onclick: () => decide(item, "reject") }),
        el("button", { type: "button", class: "primary accept", "data-decision": "accept", text: "确认是同一人", onclick: () => decide(item, "accept") }),
      ]),
    ]);
  }

  const dialog = document.getElementById("decision-dialog");
  const decisionForm = document.getElementById("decision-form");
  let deciding = null;

  function decide(item, decision) {
    deciding = { item, decision };
    D.forms.clearErrors(decisionForm);
    decisionForm.note.value = "";
    document.getElementById("decision-title").textContent = label("review_decision", decision) + "？";
    document.getElementById("decision-summary").textContent = decision === "accept"
      ? `名单上的「${item.row.name}」将关联到登记中的「${item.candidate ? item.candidate.name : ""}」，并按数据源规则产生预警和任务。比对规则不会因此改变。`
      : `「${item.row.name}」与「${item.candidate ? item.candidate.name : ""}」这一配对今后不会再被提出，这一行记为未匹配。`;
    document.getElementById("decision-submit").textContent = label("review_decision", decision);
    dialog.showModal();
  }

  document.getElementById("decision-cancel").addEventListener("click", () => dialog.close());
  decisionForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { item, decision } = deciding;
    const submit = document.getElementById("decision-submit");
    submit.disabled = true;
    try {
      await D.sendJson("POST", "/matching/review/" + item.row.id, { decision, note: decisionForm.note.value.trim() || null });
      dialog.close();
      status.textContent = `第 ${item.row.row_no} 行「${item.row.name}」：${label("review_decision", decision)}`;
      await render();
    } catch (e) {
      if (e.status === 409) {
        dialog.close();
        status.textContent = explain(e);
        await render();
      } else {
        D.forms.showErrors(decisionForm, e);
      }
    } finally {
      submit.disabled = false;
    }
  });

  async function renderReview(turn, query) {
    const listId = query.get("list_id");
    const items = await list("/matching/review", { list_id: listId });
    const total = await refreshReviewCount();
    if (turn !== rendering) return;
    const heading = listId ? `名单 #${listId} 的待复核配对：${items.total} 条` : `待复核配对：${total} 条`;
    view.replaceChildren(
      card(null, [
        el("h2", { id: "review-heading", text: heading }),
        el("p", { class: "muted", text: "左边是名单上的一行，右边是登记中比对出的人。确认后关联并按规则预警；否定后这一配对不再提出。复核不会改变比对规则。" }),
        listId ? el("a", { href: "#review", text: "查看全部待复核" }) : null,
      ]),
      el("div", { id: "review-list" }, items.map(pair)),
      items.length ? el("div", {}, [more(items)]) : card(null, [el("p", { class: "muted", id: "review-empty", text: "没有待复核的配对" })]),
    );
  }

  // ------------------------------------------------------------------ warnings

  async function taskCell(warning) {
    if (!warning.task_id) return el("span", { class: "muted", text: warning.lead_id ? "线索 #" + warning.lead_id + "（走访任务随线索）" : "待生成" });
    try {
      const task = await D.getJson("/tasks/" + warning.task_id);
      return el("span", { class: "task" }, [
        label("task_kind", task.kind) + " #" + task.id + " ",
        el("span", { class: "badge" + (task.status === "done" ? " ok" : ""), text: label("task_status", task.status) }),
        el("span", { class: "muted", text: " 限 " + task.due_on + " 前" }),
      ]);
    } catch (_e) {
      return el("span", { class: "muted", text: "任务 #" + warning.task_id });
    }
  }

  function rate(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(0) + "%";
  }

  async function renderWarnings(turn, query) {
    await loadSources();
    const level = query.get("level");
    const listId = query.get("list_id");
    const [warnings, stats] = await Promise.all([
      list("/matching/warnings", { level, list_id: listId }),
      D.getJson("/matching/stats"),
    ]);
    const tasks = await Promise.all(warnings.map(taskCell));
    if (turn !== rendering) return;
    const filter = (code, text) => {
      const params = new URLSearchParams();
      if (code) params.set("level", code);
      if (listId) params.set("list_id", listId);
      const href = "#warnings" + (params.toString() ? "?" + params : "");
      return el("a", { href, "aria-current": String((level || "") === (code || "")), text });
    };
    // The towns, what the county itself holds (leads in the county's queue), the total.
    const statRows = stats.areas.concat(stats.own && stats.own.raised ? [Object.assign({}, stats.own, { area_name: stats.own.area_name + "（本级）" })] : []);
    view.replaceChildren(
      card(`预警处置率（${stats.from} 至 ${stats.to}）`, [
        table([
          ["区域", (a) => a.area_name],
          ["预警", (a) => a.raised],
          ["红色", (a) => a.red],
          ["按期处置", (a) => a.handled_in_time, { wide: true }],
          ["逾期处置", (a) => a.handled_late, { wide: true }],
          ["未处置", (a) => a.open],
          ["超期", (a) => a.overdue],
          ["处置率", (a) => rate(a.handled_in_time_rate)],
        ], statRows.concat([Object.assign({}, stats.total, { area_name: "合计" })]), "stats-table", true),
        el("p", { class: "muted", text: "预警处置率＝截止日前办结的任务 ÷ 产生的预警。红色 3 天、橙色 7 天、黄色 15 天内处置。" }),
      ], "stats-card"),
      card(listId ? `名单 #${listId} 的预警` : "预警", [
        el("nav", { class: "filters", "aria-label": "预警级别" }, [filter(null, "全部")].concat(["red", "orange", "yellow"].map((c) => filter(c, label("warning_level", c))))),
        table([
          ["级别", (w) => levelBadge(w.level)],
          ["对象", (w) => (w.subject_name || "") + (w.household_id ? "（户 #" + w.household_id + "）" : "")],
          ["原因", (w) => w.reason],
          ["处置", (w) => label("warning_action", w.action)],
          ["截止", (w) => w.due_on],
          ["任务", (w) => tasks[warnings.indexOf(w)]],
          ["来源", (w) => sourceName(w.source_id)],
        ], warnings, "warnings-table"),
        more(warnings),
      ]),
    );
  }

  // ------------------------------------------------------------------ sources

  const sourceDialog = document.getElementById("source-dialog");
  const sourceForm = document.getElementById("source-form");

  // An admin defines a source: names, kind, encoding, the column of each field, the
  // columns kept as attributes, and the warning rules (JSON, as docs/data-matching.md
  // describes them).
  function openSourceForm() {
    D.forms.clearErrors(sourceForm);
    const fill = (name, choices) => {
      const select = sourceForm.elements[name];
      if (!select.options.length) select.append(...choices.map((c) => el("option", { value: c.value, text: c.label })));
    };
    fill("kind", D.labels.choices("source_kind"));
    fill("encoding", D.labels.choices("source_encoding"));
    const columns = document.getElementById("source-columns");
    if (!columns.querySelector("input")) {
      columns.append(...D.labels.choices("mapped_field").map((f) => el("label", {}, [
        f.label + (f.value === "name" ? "（必填）" : ""),
        el("input", { name: "columns." + f.value, maxlength: 100, required: f.value === "name" }),
      ])));
    }
    sourceDialog.showModal();
  }

  document.getElementById("source-cancel").addEventListener("click", () => sourceDialog.close());
  sourceForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    D.forms.clearErrors(sourceForm);
    const f = sourceForm.elements;
    const columns = {};
    sourceForm.querySelectorAll("[name^='columns.']").forEach((input) => {
      if (input.value.trim()) columns[input.name.slice(8)] = input.value.trim();
    });
    let rules;
    try {
      rules = JSON.parse(f.rules.value.trim() || "[]");
    } catch (_e) {
      D.forms.showErrors(sourceForm, { message: "", fieldErrors: { rules: ["预警规则不是有效的 JSON"] } });
      return;
    }
    const body = {
      code: f.code.value.trim(),
      name: f.name.value.trim(),
      department: f.department.value.trim(),
      kind: f.kind.value,
      encoding: f.encoding.value,
      area_id: caller.area.id,
      columns,
      attributes: f.attributes.value.split(/[,，、]/).map((a) => a.trim()).filter(Boolean),
      unmatched_leads: f.unmatched_leads.checked,
      rules,
    };
    try {
      const made = await D.sendJson("POST", "/matching/sources", body);
      sourceDialog.close();
      sourceForm.reset();
      status.textContent = "已新增数据源「" + made.name + "」";
      await render();
    } catch (e) {
      if (e.status === 409) e.fieldErrors = { code: ["此代码已被使用"] };
      D.forms.showErrors(sourceForm, e);
    }
  });

  async function renderSources(turn) {
    sources = null; // an admin may have changed one elsewhere
    await loadSources();
    if (turn !== rendering) return;
    const rules = (s) => el("ul", { class: "reasons" }, s.rules.map((r) => el("li", {}, [levelBadge(r.level), " ", r.reason])));
    view.replaceChildren(card("数据源", [
      caller.role === "admin"
        ? el("button", { type: "button", class: "primary", id: "add-source", text: "新增数据源", onclick: openSourceForm })
        : el("p", { class: "muted", text: "数据源由管理员设定。" }),
      table([
        ["名称", (s) => s.name],
        ["部门", (s) => s.department],
        ["类别", (s) => label("source_kind", s.kind)],
        ["编码", (s) => label("source_encoding", s.encoding)],
        ["表头", (s) => Object.entries(s.columns).map(([f, c]) => label("mapped_field", f) + "＝" + c).join("，")],
        ["预警规则", rules],
        ["未匹配转线索", (s) => (s.unmatched_leads ? "是" : "否")],
      ], Array.from(sources.values()), "sources-table"),
    ]));
  }

  // ------------------------------------------------------------------ the page

  async function render() {
    clearTimeout(poll);
    const turn = ++rendering;
    const here = place();
    document.querySelectorAll("#sections a").forEach((a) => {
      if (a.dataset.section === here.section) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    try {
      if (here.section === "lists" && here.id) await renderList(turn, here.id);
      else if (here.section === "review") await renderReview(turn, here.query);
      else if (here.section === "warnings") await renderWarnings(turn, here.query);
      else if (here.section === "sources") await renderSources(turn);
      else await renderLists(turn);
    } catch (e) {
      if (turn !== rendering) return;
      // A list being watched keeps being watched through a dropped connection.
      if (e instanceof D.Offline && here.section === "lists" && here.id && view.querySelector("#progress-card")) {
        status.textContent = e.message;
        poll = setTimeout(() => render(), 5 * POLL_MS);
        return;
      }
      view.replaceChildren(card(null, [el("p", { class: "error", role: "alert", text: explain(e) })]));
    }
  }

  D.shell.mount({
    title: "数据比对",
    roles: ["supervisor", "admin"],
    start: async (me) => {
      caller = me;
      await D.labels.load();
      try {
        zone = (await D.getJson("/dashboard/config")).timezone || zone;
      } catch (_e) {
        /* the county's default zone */
      }
      window.addEventListener("hashchange", () => {
        status.textContent = "";
        render();
      });
      await render();
      refreshReviewCount().catch(() => {});
      document.body.dataset.ready = caller.role;
    },
  });
})();
