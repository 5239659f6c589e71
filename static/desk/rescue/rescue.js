/* The rescue centre's desk page: residents (admit, stay, discharge, long stay), family
 * tracing (status steps, the action log, leads, outcomes), open days with photos, campaigns
 * with their weekly figures and the patrol map, street people, and the staff's own tasks.
 *
 * The place lives in the address (#residents, #tracing/12, #long-stay?as_of=…), so back,
 * reload and a new tab keep it. Forms keep what was typed when a sign-in expires (the
 * shell's dialog signs in again; the user presses the button again), and a write that can
 * be resent carries one client_uuid per open form, so it is stored once.
 */
(function () {
  "use strict";

  const D = window.Doudi;
  const el = D.shell.el;
  const label = (vocabulary, code) => D.labels.label(vocabulary, code);
  const view = document.getElementById("view");
  const status = document.getElementById("status");
  let zone = "Asia/Shanghai";
  let caller = null;

  // ------------------------------------------------------------------ time in the county

  function zoneParts(moment) {
    const parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(moment).forEach((p) => { parts[p.type] = p.value; });
    return parts;
  }

  function today() {
    const p = zoneParts(new Date());
    return `${p.year}-${p.month}-${p.day}`;
  }

  function daysBefore(isoDay, days) {
    const d = new Date(isoDay + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() - days);
    return d.toISOString().slice(0, 10);
  }

  function time(iso) {
    if (!iso) return "";
    const p = zoneParts(new Date(iso));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }

  // "2026-11-30T09:30" typed in the county's clock -> an ISO time with the county's offset.
  function countyInstant(local) {
    const guess = new Date(local + ":00Z");
    const p = zoneParts(guess);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    const offset = Math.round((shown - guess.getTime()) / 60000);
    const sign = offset >= 0 ? "+" : "-";
    const abs = Math.abs(offset);
    const hh = String(Math.floor(abs / 60)).padStart(2, "0");
    const mm = String(abs % 60).padStart(2, "0");
    return `${local}:00${sign}${hh}:${mm}`;
  }

  function nowLocal() {
    const p = zoneParts(new Date());
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
  }

  // ------------------------------------------------------------------ the address

  function place() {
    const [path, search] = location.hash.replace(/^#/, "").split("?");
    const parts = (path || "residents").split("/");
    return { section: parts[0], id: parts[1] ? Number(parts[1]) : null, query: new URLSearchParams(search || "") };
  }

  function go(hash) {
    if (location.hash === hash) render();
    else location.hash = hash;
  }

  function withQuery(section, values) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
    const text = params.toString();
    return "#" + section + (text ? "?" + text : "");
  }

  // ------------------------------------------------------------------ small builders

  function showStatus(text) {
    status.textContent = text || "";
  }

  function explain(error) {
    if (error instanceof D.SignedOut) return error.message;
    const problem = error.problem || {};
    if (error.status === 409 && problem.case_id) {
      return "该人员有进行中的寻亲案件（" + problem.case_id + " 号），请在案件中登记团聚或安置结果，登记后自动办理离站";
    }
    if (error.status === 409 && problem.allowed_steps) {
      return "案件状态已变化，当前可选：" + problem.allowed_steps.map((s) => label("tracing_status", s)).join("、");
    }
    if (error.status === 409 && problem.resident_id) return "该巡查记录已登记入站";
    return error.message;
  }

  function card(title, children) {
    return el("section", { class: "card" }, [title ? el("h2", { text: title }) : null].concat(children || []));
  }

  function facts(rows) {
    const dl = el("dl", { class: "facts" });
    for (const [name, value] of rows) {
      if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) continue;
      dl.append(el("dt", { text: name }), el("dd", {}, [value instanceof Node ? value : String(value)]));
    }
    return dl;
  }

  // A list as a table that turns into labelled cards at phone width.
  function table(columns, rows, id) {
    // A column marked {wide: true} is left out at phone width (the row's card stays short).
    const cls = (c) => (c[2] && c[2].wide ? "wide-only" : null);
    const head = el("tr", {}, columns.map((c) => el("th", { text: c[0], class: cls(c) })));
    const body = el("tbody", {}, rows.map((row) => el("tr", {}, columns.map((c) => {
      const value = c[1](row);
      return el("td", { "data-label": c[0], class: cls(c) }, [value instanceof Node ? value : String(value === null || value === undefined ? "" : value)]);
    }))));
    if (!rows.length) body.append(el("tr", {}, [el("td", { colspan: columns.length, class: "muted", text: "暂无记录" })]));
    return el("table", { class: "list", id }, [el("thead", {}, [head]), body]);
  }

  function link(hash, text) {
    return el("a", { href: hash, text });
  }

  async function list(path, query) {
    const response = await D.call(path, { query: Object.assign({ page_size: 100 }, query || {}) });
    const rows = await response.json();
    rows.total = Number(response.headers.get("X-Total-Count") || rows.length);
    return rows;
  }

  function more(rows) {
    return rows.total > rows.length ? el("p", { class: "muted", text: `共 ${rows.total} 条，显示最新 ${rows.length} 条；请用筛选缩小范围` }) : null;
  }

  function uuid() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // One form field: [label, name, options]; options.type is an input type, "textarea",
  // "select" (options.vocabulary or options.choices), "lines" (a list, one item a line) or
  // "local-datetime" (the county's clock).
  function field(text, name, options) {
    options = options || {};
    let input;
    const common = { name, id: "f-" + name, required: options.required };
    if (options.type === "textarea" || options.type === "lines") {
      input = el("textarea", Object.assign(common, { rows: options.rows || 3, maxlength: options.maxlength, "data-kind": options.type }));
      input.value = options.type === "lines" ? (options.value || []).join("\n") : options.value || "";
    } else if (options.type === "select") {
      const choices = options.choices || D.labels.choices(options.vocabulary);
      input = el("select", common, [options.blank !== undefined ? el("option", { value: "", text: options.blank }) : null]
        .concat(choices.map((c) => el("option", { value: c.value, text: c.label }))));
      input.value = options.value || (options.blank !== undefined ? "" : choices.length ? choices[0].value : "");
    } else {
      const type = options.type === "local-datetime" ? "datetime-local" : options.type || "text";
      input = el("input", Object.assign(common, { type, maxlength: options.maxlength, min: options.min, max: options.max, "data-kind": options.type, "data-count": options.maxlength > 60 ? true : null }));
      if (options.value !== undefined && options.value !== null) input.value = options.value;
    }
    return el("label", { class: options.hidden ? "optional" : null, hidden: options.hidden }, [text + (options.required ? " *" : ""), input, options.hint ? el("span", { class: "muted", text: options.hint }) : null]);
  }

  // The form's values for the API: lists split by line, county times with their offset.
  function values(form) {
    const out = D.forms.values(form);
    // Fields of a disabled fieldset (another outcome's) are not sent.
    for (const input of form.querySelectorAll("fieldset[disabled] [name]")) delete out[input.name];
    for (const input of form.querySelectorAll("[data-kind]")) {
      if (!(input.name in out)) continue;
      if (input.dataset.kind === "lines") out[input.name] = input.value.split("\n").map((s) => s.trim()).filter(Boolean);
      if (input.dataset.kind === "local-datetime") out[input.name] = countyInstant(input.value);
    }
    return out;
  }

  // A dialog with a form; `submit(values)` sends it. An error stays on the form next to its
  // field, and the dialog stays open with what was typed (a sign-in that expired included).
  function formDialog(title, fields, submit, options) {
    options = options || {};
    const error = el("p", { class: "error", role: "alert", "data-form-error": true });
    const send = el("button", { type: "submit", class: "primary", text: options.submitText || "保存" });
    const form = el("form", { method: "dialog", novalidate: true }, [el("h2", { text: title })].concat(fields, [
      error,
      el("div", { class: "buttons" }, [
        el("button", { type: "button", text: "取消", onclick: () => dialog.close() }),
        send,
      ]),
    ]));
    const dialog = el("dialog", { class: "form-dialog", id: options.id }, [form]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      D.forms.clearErrors(form);
      send.disabled = true;
      try {
        const answer = await submit(values(form), form);
        dialog.close();
        if (options.done) await options.done(answer);
      } catch (e) {
        D.forms.showErrors(form, e);
        if (explain(e) !== e.message) error.textContent = explain(e);
      } finally {
        send.disabled = false;
      }
    });
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    D.forms.showLimits(form);
    dialog.showModal();
    return form;
  }

  // The newest view wins: a view asked for earlier whose answer comes last (a slow search,
  // then a click on a person) must not replace the one asked for since.
  async function showView(builder) {
    const mine = D.ticket("view");
    showStatus("正在加载…");
    try {
      const nodes = await builder();
      if (!mine.current()) return;
      view.textContent = "";
      view.append.apply(view, [].concat(nodes).filter(Boolean));
      showStatus("");
    } catch (e) {
      if (!mine.current()) return;
      view.textContent = "";
      if (e instanceof D.ApiError && (e.status === 403 || e.status === 404)) {
        view.append(card(null, [el("p", { class: "error", text: e.status === 403 ? "您的账号无权查看救助站的记录。" : "记录不存在，或不在您的辖区内。" })]));
        showStatus("");
      } else {
        showStatus(explain(e));
      }
    }
  }

  // ------------------------------------------------------------------ photos

  async function photoStrip(ownerPath) {
    const strip = el("div", { class: "photos" });
    const photos = await D.getJson(ownerPath + "/photos");
    for (const photo of photos) {
      if (photo.status !== "ready") {
        strip.append(el("span", { class: "pending", text: photo.status === "failed" ? "照片无法处理" : "照片处理中" }));
        continue;
      }
      const img = el("img", { alt: "照片 " + photo.id, "data-photo-id": photo.id });
      strip.append(img);
      // The image needs the token: fetched as a blob, shown from an object URL.
      D.call("/photos/" + photo.id + "/thumbnail").then((r) => r.blob()).then((blob) => {
        img.src = URL.createObjectURL(blob);
      }, () => { img.alt = "照片无法加载"; });
    }
    if (!photos.length) strip.append(el("span", { class: "muted", text: "暂无照片" }));
    return strip;
  }

  function photoUpload(ownerPath, after) {
    const input = el("input", { type: "file", accept: "image/jpeg,image/png,image/heic", id: "photo-file" });
    const note = el("span", { class: "error", role: "alert" });
    let clientUuid = uuid();
    const button = el("button", { type: "button", id: "photo-upload", text: "上传照片", onclick: async () => {
      if (!input.files.length) { note.textContent = "请先选择照片"; return; }
      const body = new FormData();
      body.append("file", input.files[0]);
      body.append("client_uuid", clientUuid);
      button.disabled = true;
      note.textContent = "";
      try {
        await D.call(ownerPath + "/photos", { method: "POST", body });
        clientUuid = uuid();
        await after();
      } catch (e) {
        note.textContent = explain(e);
      } finally {
        button.disabled = false;
      }
    } });
    return el("div", { class: "toolbar" }, [input, button, note]);
  }

  // ------------------------------------------------------------------ residents

  const RESIDENT_TEXT = [
    ["自述姓名", "stated_name", { maxlength: 100 }],
    ["自述家乡", "stated_home_place", { maxlength: 255 }],
    ["方言", "dialect", { maxlength: 100 }],
    ["身份证号", "id_number", { maxlength: 18 }],
    ["床位", "bed", { maxlength: 40 }],
  ];

  function residentFields(resident, fromEncounter) {
    resident = resident || {};
    const out = [];
    if (!resident.id) {
      out.push(field("入站时间", "admitted_at", { type: "local-datetime", value: nowLocal(), hint: "县里的时间" }));
      out.push(field("入站方式", "admission_route", { type: "select", vocabulary: "admission_route", blank: fromEncounter ? "巡查护送（默认）" : "主动求助（默认）" }));
    }
    for (const [text, name, options] of RESIDENT_TEXT) out.push(field(text, name, Object.assign({ value: resident[name] }, options)));
    out.push(field("性别", "sex", { type: "select", vocabulary: "sex", blank: fromEncounter ? "按巡查记录" : "不详", value: resident.sex }));
    out.push(field("估计出生年份", "estimated_birth_year", { type: "number", min: 1900, max: 2100, value: resident.estimated_birth_year }));
    out.push(field("体貌特征", "description", { type: "textarea", maxlength: 5000, value: resident.description }));
    out.push(field("身体标记", "physical_marks", { type: "textarea", maxlength: 5000, value: resident.physical_marks }));
    out.push(field("健康状况", "health", { type: "textarea", maxlength: 5000, value: resident.health }));
    out.push(field("随身物品（每行一件）", "belongings", { type: "lines", value: resident.belongings }));
    out.push(field("入站备注", "admission_notes", { type: "textarea", maxlength: 5000, value: resident.admission_notes }));
    return out;
  }

  function admitDialog(encounter) {
    const clientUuid = uuid(); // one per form: a resend after signing in again is stored once
    const fields = [];
    if (encounter) {
      fields.push(el("p", { class: "muted", text: "从巡查记录登记：" + describeEncounter(encounter) + "。未填的项目按巡查记录填写。" }));
    }
    formDialog(encounter ? "从巡查记录登记入站" : "登记入站", fields.concat(residentFields(null, Boolean(encounter))), (body) => {
      body.client_uuid = clientUuid;
      if (encounter) body.encounter_id = encounter.id;
      return D.sendJson("POST", "/residents", body);
    }, { id: "admit-dialog", submitText: "登记入站", done: (resident) => go("#residents/" + resident.id) });
  }

  function describeEncounter(e) {
    return [time(e.occurred_at), label("encounter_outcome", e.outcome), e.name || "未留姓名",
      label("sex", e.sex), e.approximate_age ? "约" + e.approximate_age + "岁" : "", e.clothing, e.condition]
      .filter(Boolean).join("，");
  }

  async function encounterPicker() {
    const day = today();
    const picker = el("div", { id: "encounter-choices" });
    const error = el("p", { class: "error", role: "alert" });
    const from = el("input", { type: "date", name: "from", value: daysBefore(day, 30) });
    const to = el("input", { type: "date", name: "to", value: day });
    const dialog = el("dialog", { id: "encounter-dialog" }, [
      el("h2", { text: "从巡查记录登记" }),
      el("p", { class: "muted", text: "尚未登记入站的巡查记录，最新的在前。" }),
      el("div", { class: "toolbar" }, [el("label", {}, ["从", from]), el("label", {}, ["到", to]),
        el("button", { type: "button", text: "查询", onclick: () => load() })]),
      error, picker,
      el("div", { class: "toolbar" }, [el("span", { class: "spacer" }), el("button", { type: "button", text: "关闭", onclick: () => dialog.close() })]),
    ]);
    async function load() {
      error.textContent = "";
      picker.textContent = "";
      try {
        const rows = await list("/residents/admissible-encounters", { from: from.value, to: to.value });
        if (!rows.length) picker.append(el("p", { class: "muted", text: "这段时间没有待登记的巡查记录。" }));
        for (const e of rows) {
          picker.append(el("div", { class: "encounter-choice", "data-encounter-id": e.id }, [
            el("div", { text: describeEncounter(e) }),
            el("button", { type: "button", class: "primary", text: "登记入站", onclick: () => { dialog.close(); admitDialog(e); } }),
          ]));
        }
        const note = more(rows);
        if (note) picker.append(note);
      } catch (e) {
        error.textContent = explain(e);
      }
    }
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    await load();
  }

  async function residentsView(query) {
    const present = query.get("present") || "true";
    const q = query.get("q") || "";
    const rows = await list("/residents", { present: present === "all" ? "" : present, q });
    const search = el("form", { class: "toolbar", id: "resident-filter" }, [
      el("label", {}, ["查找（姓名或家乡）", el("input", { name: "q", value: q, maxlength: 100 })]),
      field("状态", "present", { type: "select", value: present, choices: [
        { value: "true", label: "在站" }, { value: "false", label: "已离站" }, { value: "all", label: "全部" }] }),
      el("button", { type: "submit", text: "查询" }),
      el("span", { class: "spacer" }),
      el("button", { type: "button", class: "primary", id: "admit", text: "登记入站", onclick: () => admitDialog(null) }),
      el("button", { type: "button", id: "admit-from-encounter", text: "从巡查记录登记", onclick: encounterPicker }),
      link(withQuery("long-stay", {}), "长期滞留名单"),
    ]);
    search.addEventListener("submit", (event) => {
      event.preventDefault();
      go(withQuery("residents", { q: search.q.value.trim(), present: search.present.value }));
    });
    return [
      card("在站人员", [search]),
      card(null, [table([
        ["姓名", (r) => link("#residents/" + r.id, r.display_name)],
        ["性别", (r) => label("sex", r.sex), { wide: true }],
        ["入站时间", (r) => time(r.admitted_at)],
        ["入站方式", (r) => label("admission_route", r.admission_route), { wide: true }],
        ["在站天数", (r) => el("span", {}, [String(r.days_stayed), r.long_stay ? el("span", { class: "badge warn", text: " 长期滞留" }) : null])],
        ["床位", (r) => r.bed || ""],
        ["状态", (r) => r.discharged_at ? "已离站（" + label("discharge_reason", r.discharge_reason) + "）" : "在站"],
      ], rows, "residents-table"), more(rows)]),
    ];
  }

  async function residentView(id) {
    const resident = await D.getJson("/residents/" + id);
    const cases = await list("/tracing-cases", { resident_id: id });
    const openCase = cases.find((c) => !["reunited", "settled_locally", "closed_other"].includes(c.status));
    const present = !resident.discharged_at;
    const buttons = el("div", { class: "toolbar" }, [
      el("button", { type: "button", id: "edit-resident", text: "修改信息", onclick: () => formDialog("修改信息：" + resident.display_name,
        residentFields(resident), (body) => D.sendJson("PATCH", "/residents/" + id, body), { done: render }) }),
      present ? el("button", { type: "button", id: "discharge", text: "办理离站", onclick: () => dischargeDialog(resident, openCase) }) : null,
      present && !openCase ? el("button", { type: "button", id: "open-case", class: "primary", text: "立案寻亲", onclick: () => formDialog("立案寻亲：" + resident.display_name,
        [field("案情摘要", "summary", { type: "textarea", maxlength: 5000 })],
        (body) => D.sendJson("POST", "/tracing-cases", Object.assign({ resident_id: id }, body)),
        { done: (c) => go("#tracing/" + c.id) }) }) : null,
    ]);
    const photoCard = card("照片", [await photoStrip("/residents/" + id), present ? photoUpload("/residents/" + id, render) : null]);
    return [
      el("p", { class: "back" }, [link("#residents", "← 在站人员")]),
      card(resident.display_name, [
        facts([
          ["状态", present ? "在站" : "已离站"],
          ["入站时间", time(resident.admitted_at)],
          ["入站方式", label("admission_route", resident.admission_route)],
          ["在站天数", resident.days_stayed + (resident.long_stay ? "（长期滞留）" : "")],
          ["床位", resident.bed],
          ["性别", label("sex", resident.sex)],
          ["估计出生年份", resident.estimated_birth_year],
          ["自述家乡", resident.stated_home_place],
          ["方言", resident.dialect],
          ["身份证号", resident.id_number],
          ["体貌特征", resident.description],
          ["身体标记", resident.physical_marks],
          ["健康状况", resident.health],
          ["随身物品", (resident.belongings || []).join("、")],
          ["入站备注", resident.admission_notes],
          ["巡查记录", resident.encounter_id ? resident.encounter_id + " 号" : null],
          ["离站时间", time(resident.discharged_at)],
          ["离站原因", label("discharge_reason", resident.discharge_reason)],
          ["去向", resident.discharge_destination],
          ["离站备注", resident.discharge_notes],
        ]),
        buttons,
      ]),
      card("寻亲案件", [table([
        ["案件", (c) => link("#tracing/" + c.id, c.id + " 号")],
        ["状态", (c) => label("tracing_status", c.status)],
        ["立案时间", (c) => time(c.opened_at)],
        ["最近跟进", (c) => c.last_activity_on],
      ], cases, "resident-cases")]),
      photoCard,
    ];
  }

  function dischargeDialog(resident, openCase) {
    const fields = [
      openCase ? el("p", { class: "muted" }, ["该人员有进行中的寻亲案件：团聚或就地安置请在", link("#tracing/" + openCase.id, "案件中登记结果"), "；其他原因离站会同时结案。"]) : null,
      field("离站原因", "reason", { type: "select", vocabulary: "discharge_reason", required: true }),
      field("离站时间", "discharged_at", { type: "local-datetime", value: nowLocal() }),
      field("去向", "destination", { maxlength: 255 }),
      field("备注", "notes", { type: "textarea", maxlength: 5000 }),
    ].filter(Boolean);
    formDialog("办理离站：" + resident.display_name, fields,
      (body) => D.sendJson("POST", "/residents/" + resident.id + "/discharge", body),
      { id: "discharge-dialog", submitText: "办理离站", done: render });
  }

  async function longStayView(query) {
    const asOf = query.get("as_of") || today();
    const threshold = query.get("threshold_days") || "";
    const answer = await D.getJson("/residents/long-stay", { as_of: asOf, threshold_days: threshold });
    const filter = el("form", { class: "toolbar", id: "long-stay-filter" }, [
      el("label", {}, ["截至日期", el("input", { type: "date", name: "as_of", value: asOf })]),
      el("label", {}, ["滞留天数不少于", el("input", { type: "number", name: "threshold_days", min: 1, value: threshold || answer.threshold_days })]),
      el("button", { type: "submit", text: "查询" }),
    ]);
    filter.addEventListener("submit", (event) => {
      event.preventDefault();
      go(withQuery("long-stay", { as_of: filter.as_of.value, threshold_days: filter.threshold_days.value }));
    });
    return [
      el("p", { class: "back" }, [link("#residents", "← 在站人员")]),
      card("长期滞留人员", [filter, el("p", { id: "long-stay-count", text: `${answer.as_of} 在站满 ${answer.threshold_days} 天的共 ${answer.count} 人` })]),
      card(null, [table([
        ["姓名", (r) => link("#residents/" + r.resident_id, r.resident.display_name)],
        ["入站日期", (r) => r.admitted_on],
        ["在站天数", (r) => r.days_stayed],
        ["寻亲案件", (r) => r.open_case_id ? link("#tracing/" + r.open_case_id, r.open_case_id + " 号") : "未立案"],
      ], answer.residents, "long-stay-table")]),
    ];
  }

  // ------------------------------------------------------------------ family tracing

  const FINAL = ["reunited", "settled_locally", "closed_other"];
  const OUTCOMES = ["reunited", "settled_locally"];

  async function tracingView(query) {
    const state = query.get("status") || "";
    const openOnly = query.get("open") !== "false";
    const rows = await list("/tracing-cases", { status: state, open: state ? "" : openOnly ? "true" : "" });
    const filter = el("form", { class: "toolbar", id: "tracing-filter" }, [
      field("状态", "status", { type: "select", vocabulary: "tracing_status", blank: "全部状态", value: state }),
      el("label", {}, ["范围", el("select", { name: "open" }, [el("option", { value: "true", text: "进行中" }), el("option", { value: "false", text: "全部" })])]),
      el("button", { type: "submit", text: "查询" }),
    ]);
    filter.open.value = openOnly ? "true" : "false";
    filter.addEventListener("submit", (event) => {
      event.preventDefault();
      go(withQuery("tracing", { status: filter.status.value, open: filter.open.value === "false" ? "false" : "" }));
    });
    const [stale, open, outcomes] = await Promise.all([
      D.getJson("/tracing-cases/stale"), D.getJson("/tracing-cases/reports/open"), D.getJson("/tracing-cases/reports/outcomes")]);
    const byStatus = Object.entries(open.by_status).filter(([, n]) => n).map(([s, n]) => label("tracing_status", s) + " " + n).join("、");
    const summary = el("p", { id: "tracing-summary" }, [
      `进行中 ${open.total} 件` + (byStatus ? "（" + byStatus + "）" : "") + `；${outcomes.from} 以来团聚 ${outcomes.totals.reunited} 人、就地安置 ${outcomes.totals.settled_locally} 人`]);
    return [
      card("寻亲案件（大爱寻亲，温暖回家）", [summary, filter, stale.length ? el("p", { class: "muted", id: "stale-cases" }, ["久未跟进：", ...stale.map((c) => link("#tracing/" + c.id, c.resident_name + " "))]) : null]),
      card(null, [table([
        ["受助人员", (c) => link("#tracing/" + c.id, c.resident_name)],
        ["状态", (c) => label("tracing_status", c.status)],
        ["立案时间", (c) => time(c.opened_at), { wide: true }],
        ["最近跟进", (c) => c.last_activity_on],
        ["结案时间", (c) => time(c.closed_at), { wide: true }],
      ], rows, "cases-table"), more(rows)]),
    ];
  }

  async function caseView(id) {
    const [tracing, actions, leads] = await Promise.all([
      D.getJson("/tracing-cases/" + id), list("/tracing-cases/" + id + "/actions"), list("/tracing-cases/" + id + "/leads")]);
    const isOpen = !FINAL.includes(tracing.status);
    const steps = tracing.allowed_steps.filter((s) => !OUTCOMES.includes(s));
    const outcomes = tracing.allowed_steps.filter((s) => OUTCOMES.includes(s));
    const stepButtons = el("div", { class: "steps", id: "case-steps" }, steps.map((s) => el("button", {
      type: "button", "data-step": s, text: "→ " + label("tracing_status", s),
      onclick: () => formDialog("案件状态改为「" + label("tracing_status", s) + "」", [field("原因", "reason", { type: "textarea", maxlength: 5000 })],
        (body) => D.sendJson("POST", "/tracing-cases/" + id + "/status", Object.assign({ status: s }, body)), { done: render }),
    })));
    if (isOpen) {
      stepButtons.append(el("button", { type: "button", class: "primary", id: "record-outcome", text: "登记结果（团聚／就地安置）",
        onclick: () => outcomeDialog(tracing, outcomes.length ? outcomes : OUTCOMES) }));
    }
    const history = el("ul", { class: "log", id: "case-history" }, tracing.history.map((h) => {
      // The opening's reason is the case's summary, else why it was opened (a code).
      const reason = h.from_status ? h.reason : label("tracing_opened_reason", h.reason);
      return el("li", {}, [
        (h.from_status ? label("tracing_status", h.from_status) + " → " : "") + label("tracing_status", h.to_status),
        el("span", { class: "muted", text: time(h.changed_at) + (reason ? "：" + reason : "") }),
      ]);
    }));
    const actionLog = el("ul", { class: "log", id: "action-log" }, actions.map((a) => el("li", { "data-kind": a.kind }, [
      el("strong", { text: label("tracing_action_kind", a.kind) }), " " + a.details,
      el("span", { class: "muted", text: a.performed_on + (a.published_in ? "，发布于 " + a.published_in : "") + (a.result ? "；结果：" + a.result : "") }),
    ])));
    if (!actions.length) actionLog.append(el("li", { class: "muted", text: "尚无寻亲行动" }));
    const leadList = el("ul", { class: "log", id: "lead-list" }, leads.map((lead) => {
      const select = el("select", { "aria-label": "线索状态", onchange: async () => {
        try { await D.sendJson("PATCH", "/tracing-cases/" + id + "/leads/" + lead.id, { status: select.value }); showStatus("线索状态已更新"); }
        catch (e) { showStatus(explain(e)); select.value = lead.status; }
      } }, D.labels.choices("lead_status").map((c) => el("option", { value: c.value, text: c.label })));
      select.value = lead.status;
      return el("li", {}, [lead.description, el("span", { class: "muted", text: [lead.place, lead.contact_name, lead.contact_phone, lead.relation_to_resident, lead.source].filter(Boolean).join("，") }), select]);
    }));
    if (!leads.length) leadList.append(el("li", { class: "muted", text: "尚无线索" }));
    return [
      el("p", { class: "back" }, [link("#tracing", "← 寻亲案件")]),
      card("寻亲案件 " + id + " 号：" + tracing.resident_name, [
        el("div", { id: "case-facts" }, [facts([
          ["受助人员", link("#residents/" + tracing.resident_id, tracing.resident_name)],
          ["状态", el("span", { id: "case-status", text: label("tracing_status", tracing.status) })],
          ["立案时间", time(tracing.opened_at)],
          ["最近跟进", tracing.last_activity_on],
          ["案情摘要", tracing.summary],
          ["结案时间", time(tracing.closed_at)],
          ["团聚方式", label("reunion_kind", tracing.reunion_kind)],
          ["接回人", [tracing.collected_by, tracing.collector_relationship].filter(Boolean).join("，")],
          ["去向", tracing.destination],
          ["安置地点", tracing.settled_place],
          ["安置项目", tracing.settlement_programme],
          ["结果备注", tracing.outcome_notes],
        ])]),
        isOpen ? stepButtons : null,
        isOpen ? el("button", { type: "button", text: "修改摘要", onclick: () => formDialog("修改案情摘要",
          [field("案情摘要", "summary", { type: "textarea", maxlength: 5000, value: tracing.summary })],
          (body) => D.sendJson("PATCH", "/tracing-cases/" + id, { summary: body.summary || null }), { done: render }) }) : null,
      ]),
      el("div", { class: "grid2" }, [
        card("寻亲行动（DNA、公安、媒体…）", [
          isOpen ? el("button", { type: "button", id: "add-action", class: "primary", text: "记录寻亲行动", onclick: () => actionDialog(id) }) : null,
          actionLog, more(actions)]),
        card("线索", [
          isOpen ? el("button", { type: "button", id: "add-lead", text: "添加线索", onclick: () => leadDialog(id) }) : null,
          leadList]),
      ]),
      card("状态记录", [history]),
    ];
  }

  function actionDialog(caseId) {
    const clientUuid = uuid();
    formDialog("记录寻亲行动", [
      field("行动", "kind", { type: "select", vocabulary: "tracing_action_kind", required: true }),
      field("日期", "performed_on", { type: "date", value: today(), max: today() }),
      field("经过", "details", { type: "textarea", maxlength: 5000, required: true }),
      field("结果", "result", { type: "textarea", maxlength: 5000 }),
      field("发布媒体", "published_in", { maxlength: 255, hint: "媒体寻亲发布时必填" }),
    ], (body) => D.sendJson("POST", "/tracing-cases/" + caseId + "/actions", Object.assign({ client_uuid: clientUuid }, body)),
    { id: "action-dialog", done: render });
  }

  function leadDialog(caseId) {
    formDialog("添加线索", [
      field("线索内容", "description", { type: "textarea", maxlength: 5000, required: true }),
      field("地点", "place", { maxlength: 255 }),
      field("联系人", "contact_name", { maxlength: 100 }),
      field("联系电话", "contact_phone", { type: "tel", maxlength: 40 }),
      field("与本人关系", "relation_to_resident", { maxlength: 100 }),
      field("来源", "source", { maxlength: 200 }),
      field("备注", "notes", { type: "textarea", maxlength: 5000 }),
    ], (body) => D.sendJson("POST", "/tracing-cases/" + caseId + "/leads", body), { id: "lead-dialog", done: render });
  }

  function outcomeDialog(tracing, allowed) {
    const choice = field("结果", "outcome", { type: "select", choices: allowed.map((v) => ({ value: v, label: label("tracing_outcome", v) })) });
    const reunited = el("fieldset", { "data-outcome": "reunited" }, [
      el("legend", { text: "团聚" }),
      field("方式", "reunion_kind", { type: "select", vocabulary: "reunion_kind" }),
      field("接回人", "collected_by", { maxlength: 200, hint: "亲属接回时必填" }),
      field("与本人关系", "collector_relationship", { maxlength: 100 }),
      field("去向", "destination", { maxlength: 255 }),
    ]);
    const settled = el("fieldset", { "data-outcome": "settled_locally" }, [
      el("legend", { text: "就地安置" }),
      field("安置地点", "settled_place", { maxlength: 255 }),
      field("安置项目", "settlement_programme", { maxlength: 200, hint: "如：特困人员救助供养" }),
    ]);
    const form = formDialog("登记结果：" + tracing.resident_name, [
      el("p", { class: "muted", text: "登记后案件结案，并同时为该人员办理离站。" }),
      choice, reunited, settled,
      field("离站时间", "at", { type: "local-datetime", value: nowLocal() }),
      field("备注", "notes", { type: "textarea", maxlength: 5000 }),
    ], (body) => D.sendJson("POST", "/tracing-cases/" + tracing.id + "/outcome", body),
    { id: "outcome-dialog", submitText: "登记结果", done: render });
    // Only the chosen outcome's fields are shown and sent.
    const select = form.querySelector("[name=outcome]");
    const sync = () => {
      for (const set of [reunited, settled]) {
        set.hidden = set.dataset.outcome !== select.value;
        set.disabled = set.hidden;
      }
    };
    select.addEventListener("change", sync);
    sync();
  }

  // ------------------------------------------------------------------ open days

  async function openDaysView() {
    const rows = await list("/open-day-events");
    return [
      card("开放日（6·19）", [el("button", { type: "button", class: "primary", id: "add-open-day", text: "登记开放日", onclick: openDayDialog })]),
      card(null, [table([
        ["日期", (e) => e.held_on],
        ["名称", (e) => link("#open-days/" + e.id, e.title)],
        ["主题", (e) => e.theme || ""],
        ["参观人数", (e) => e.visitor_count === null ? "" : e.visitor_count],
      ], rows, "open-days-table"), more(rows)]),
    ];
  }

  function openDayFields(event) {
    event = event || {};
    return [
      field("日期", "held_on", { type: "date", value: event.held_on, hint: event.id ? null : "不填为今年 6 月 19 日" }),
      field("名称", "title", { maxlength: 200, value: event.title, hint: event.id ? null : "不填为“某年“6·19”救助管理机构开放日”" }),
      field("主题", "theme", { maxlength: 200, value: event.theme }),
      field("参观人数", "visitor_count", { type: "number", min: 0, value: event.visitor_count }),
      field("活动（每行一项）", "activities", { type: "lines", value: event.activities }),
      field("备注", "notes", { type: "textarea", maxlength: 5000, value: event.notes }),
    ];
  }

  function openDayDialog() {
    const clientUuid = uuid();
    formDialog("登记开放日", openDayFields(), (body) => D.sendJson("POST", "/open-day-events", Object.assign({ client_uuid: clientUuid }, body)),
      { id: "open-day-dialog", done: (event) => go("#open-days/" + event.id) });
  }

  async function openDayView(id) {
    const event = await D.getJson("/open-day-events/" + id);
    return [
      el("p", { class: "back" }, [link("#open-days", "← 开放日")]),
      card(event.title, [
        facts([
          ["日期", event.held_on],
          ["主题", event.theme],
          ["参观人数", event.visitor_count],
          ["参观团体", (event.groups || []).map((g) => g.name + (g.size ? "（" + g.size + "人）" : "")).join("、")],
          ["活动", (event.activities || []).join("\n")],
          ["媒体报道", (event.media_coverage || []).map((m) => [m.outlet, m.title, m.published_on].filter(Boolean).join("，")).join("\n")],
          ["备注", event.notes],
        ]),
        el("button", { type: "button", text: "修改", onclick: () => formDialog("修改开放日", openDayFields(event),
          (body) => D.sendJson("PATCH", "/open-day-events/" + id, body), { done: render }) }),
      ]),
      card("照片", [await photoStrip("/open-day-events/" + id), photoUpload("/open-day-events/" + id, render)]),
    ];
  }

  // ------------------------------------------------------------------ campaigns and the map

  async function campaignsView() {
    const rows = await list("/campaigns");
    return [card("专项行动（夏季送清凉、寒冬送温暖）", [table([
      ["名称", (c) => link("#campaigns/" + c.id, c.name)],
      ["类别", (c) => label("campaign_kind", c.kind)],
      ["开始", (c) => c.starts_on],
      ["结束", (c) => c.ends_on],
    ], rows, "campaigns-table"), more(rows)])];
  }

  const FIGURES = [
    ["encounters", "救助人次"], ["people", "救助人数"], ["new_people", "新发现"],
    ["people_met_again", "再次遇到"], ["vulnerable_encounters", "重点人群人次"],
  ];

  async function campaignView(id) {
    const stats = await D.getJson("/campaigns/" + id + "/stats");
    const campaign = stats.campaign;
    const previous = stats.previous;
    const totals = table([["", (f) => f[1]], ["本次", (f) => stats.totals[f[0]]],
      ["上次同类", (f) => previous ? previous.totals[f[0]] : "—"], ["增减", (f) => stats.change ? signed(stats.change[f[0]]) : "—"]],
    FIGURES, "campaign-totals");
    const prevWeeks = {};
    for (const w of (previous && previous.weeks) || []) prevWeeks[w.week_index] = w;
    const weeks = table([
      ["第几周", (w) => "第 " + w.week_index + " 周"],
      ["日期", (w) => w.starts_on + " 至 " + w.ends_on],
      ["救助人次", (w) => w.encounters],
      ["救助人数", (w) => w.people],
      ["新发现", (w) => w.new_people],
      ["重点人群", (w) => w.vulnerable_encounters],
      ["上次同周人次", (w) => prevWeeks[w.week_index] ? prevWeeks[w.week_index].encounters : "—"],
    ], stats.weeks, "campaign-weeks");
    const counts = (figures, vocabulary) => Object.entries(figures || {}).filter(([, v]) => v)
      .map(([k, v]) => label(vocabulary, k) + " " + v).join("、");
    const aid = counts(stats.totals.aid, "aid_kind");
    const outcomes = counts(stats.totals.outcomes, "encounter_outcome");
    const planned = counts(campaign.supplies_planned, "aid_kind");
    const mapBox = el("div", { id: "campaign-map", role: "img", "aria-label": "巡查路线与救助地点地图" });
    setTimeout(() => drawMap(mapBox, id), 0);
    return [
      el("p", { class: "back" }, [link("#campaigns", "← 专项行动")]),
      card(campaign.name, [facts([
        ["类别", label("campaign_kind", campaign.kind)],
        ["时间", campaign.starts_on + " 至 " + campaign.ends_on],
        ["计划物资", planned],
        ["巡查", stats.totals.patrols + " 次，" + ((stats.totals.route_length_m || 0) / 1000).toFixed(1) + " 公里"],
        ["发放物资", aid],
        ["处置结果", outcomes],
        ["对比", previous ? "上次同类：" + previous.campaign.name : "没有上次同类行动"],
      ])]),
      el("div", { class: "grid2" }, [card("合计", [totals]), card("巡查路线与救助地点", [mapBox, el("p", { class: "muted", id: "map-legend", text: "红线：巡查路线；圆点：救助地点（橙色为重点人群）" })])]),
      card("每周情况（周一至周日，县里的日期）", [weeks]),
    ];
  }

  function signed(n) {
    return n > 0 ? "+" + n : String(n);
  }

  let mapConfig = null;

  async function drawMap(box, campaignId) {
    if (!document.body.contains(box)) return;
    try {
      if (!mapConfig) mapConfig = await D.getJson("/dashboard/config");
      const [routes, points] = await Promise.all([
        D.getJson("/patrols/map", { campaign_id: campaignId }), D.getJson("/encounters/map", { campaign_id: campaignId })]);
      const map = L.map(box, { preferCanvas: true });
      if (mapConfig.map_tile_url) L.tileLayer(mapConfig.map_tile_url, { maxZoom: 19 }).addTo(map);
      const group = L.featureGroup().addTo(map);
      L.geoJSON({ type: "FeatureCollection", features: routes.features.filter((f) => f.geometry) }, { style: { color: "#b71c1c", weight: 3 } }).addTo(group);
      L.geoJSON({ type: "FeatureCollection", features: points.features.filter((f) => f.geometry) }, {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 6, color: f.properties.vulnerable ? "#e65100" : "#1565c0", fillOpacity: 0.8 })
          .bindPopup(time(f.properties.occurred_at) + " " + label("encounter_outcome", f.properties.outcome)),
      }).addTo(group);
      box.dataset.routes = routes.features.length;
      box.dataset.encounters = points.features.length;
      if (group.getLayers().length && group.getBounds().isValid()) map.fitBounds(group.getBounds(), { padding: [16, 16] });
      else map.setView([24.35, 114.13], 11);
    } catch (e) {
      box.textContent = explain(e);
    }
  }

  // ------------------------------------------------------------------ street people

  async function peopleView(query) {
    const q = query.get("q") || "";
    const rows = await list("/street-people", { q });
    const search = el("form", { class: "toolbar", id: "people-filter" }, [
      el("label", {}, ["查找（称呼或姓名）", el("input", { name: "q", value: q, maxlength: 100 })]),
      el("button", { type: "submit", text: "查询" }),
    ]);
    search.addEventListener("submit", (event) => {
      event.preventDefault();
      go(withQuery("people", { q: search.q.value.trim() }));
    });
    search.append(el("span", { class: "spacer" }), el("button", { type: "button", id: "add-person", text: "登记流浪人员", onclick: () => formDialog("登记流浪人员", personFields(),
      (body) => D.sendJson("POST", "/street-people", body), { id: "person-dialog", done: (p) => go("#people/" + p.id) }) }));
    return [card("流浪人员", [search]), card(null, [table([
      ["称呼", (p) => link("#people/" + p.id, p.alias)],
      ["姓名", (p) => p.name || ""],
      ["性别", (p) => label("sex", p.sex)],
      ["年龄", (p) => p.approximate_age === null || p.approximate_age === undefined ? "" : "约" + p.approximate_age + "岁"],
      ["首次遇到", (p) => time(p.first_seen_at)],
      ["最近遇到", (p) => time(p.last_seen_at)],
    ], rows, "people-table"), more(rows)])];
  }

  function personFields(person) {
    person = person || {};
    return [
      field("称呼", "alias", { maxlength: 100, required: !person.id, value: person.alias, hint: "不知姓名时的叫法，如“桥头老伯”" }),
      field("姓名", "name", { maxlength: 100, value: person.name }),
      field("性别", "sex", { type: "select", vocabulary: "sex", value: person.sex || "unknown" }),
      field("估计年龄", "approximate_age", { type: "number", min: 0, max: 120, value: person.approximate_age }),
      field("特征", "description", { type: "textarea", maxlength: 5000, value: person.description }),
    ];
  }

  async function personView(id) {
    const [person, met] = await Promise.all([D.getJson("/street-people/" + id), list("/encounters", { street_person_id: id })]);
    return [
      el("p", { class: "back" }, [link("#people", "← 流浪人员")]),
      card(person.alias, [facts([
        ["姓名", person.name], ["性别", label("sex", person.sex)], ["年龄", person.approximate_age ? "约" + person.approximate_age + "岁" : ""],
        ["特征", person.description], ["首次遇到", time(person.first_seen_at)], ["最近遇到", time(person.last_seen_at)],
      ]), el("button", { type: "button", text: "修改", onclick: () => formDialog("修改：" + person.alias, personFields(person),
        (body) => D.sendJson("PATCH", "/street-people/" + id, body), { done: render }) })]),
      card("巡查中遇到", [table([
        ["时间", (e) => link("#encounters/" + e.id, time(e.occurred_at))],
        ["处置", (e) => label("encounter_outcome", e.outcome)],
        ["物资", (e) => (e.aid || []).map((a) => label("aid_kind", a.kind) + " " + a.quantity).join("、")],
        ["情况", (e) => [e.condition, e.notes].filter(Boolean).join("；")],
      ], met, "person-encounters")]),
    ];
  }

  async function encounterView(id) {
    const e = await D.getJson("/encounters/" + id);
    return [
      el("p", { class: "back" }, [link("#people", "← 流浪人员")]),
      card("巡查记录 " + id + " 号", [
        facts([
          ["时间", time(e.occurred_at)],
          ["处置", label("encounter_outcome", e.outcome)],
          ["姓名", e.gave_name ? e.name : "未留姓名"],
          ["流浪人员", e.street_person_id ? link("#people/" + e.street_person_id, e.street_person_id + " 号") : null],
          ["性别", label("sex", e.sex)],
          ["年龄", e.approximate_age ? "约" + e.approximate_age + "岁" : ""],
          ["衣着", e.clothing],
          ["语言", e.language],
          ["身体状况", e.condition],
          ["重点人群", (e.vulnerability_kinds || []).map((k) => label("vulnerability_kind", k)).join("、") || (e.vulnerable ? "是" : "")],
          ["物资", (e.aid || []).map((a) => label("aid_kind", a.kind) + " " + a.quantity).join("、")],
          ["备注", e.notes],
        ]),
        el("button", { type: "button", id: "admit-this-encounter", text: "据此登记入站", onclick: () => admitDialog(e) }),
      ]),
      card("照片", [await photoStrip("/encounters/" + id)]),
    ];
  }

  // ------------------------------------------------------------------ own tasks

  function subjectLink(task) {
    const subject = task.subject || {};
    if (subject.kind === "resident") return link("#residents/" + subject.id, "受助人员 " + subject.id + " 号");
    if (subject.kind === "tracing_case") return link("#tracing/" + subject.id, "寻亲案件 " + subject.id + " 号");
    if (subject.kind === "person") return link("#people/" + subject.id, "流浪人员 " + subject.id + " 号");
    if (subject.kind === "encounter") return link("#encounters/" + subject.id, "巡查记录 " + subject.id + " 号");
    return "";
  }

  async function tasksView() {
    const rows = await list("/tasks");
    const day = today();
    return [card("我的待办", [table([
      ["事项", (t) => el("span", {}, [t.title, t.reason ? el("span", { class: "muted", text: "　" + t.reason }) : null])],
      ["类别", (t) => label("task_kind", t.kind)],
      ["期限", (t) => el("span", { class: t.due_on < day ? "badge warn" : "" , text: t.due_on + (t.due_on < day ? " 已逾期" : "") })],
      ["优先级", (t) => label("priority", t.priority)],
      ["关于", subjectLink],
      ["", (t) => el("button", { type: "button", class: "task-done", "data-task-id": t.id, text: "办结", onclick: () => formDialog("办结：" + t.title,
        [field("办理结果", "outcome_note", { type: "textarea", maxlength: 4000 })],
        (body) => D.sendJson("PATCH", "/tasks/" + t.id, Object.assign({ status: "done" }, body)), { id: "task-dialog", done: render }) })],
    ], rows, "tasks-table"), more(rows)])];
  }

  // ------------------------------------------------------------------ routing

  const SECTIONS = {
    residents: (p) => (p.id ? residentView(p.id) : residentsView(p.query)),
    "long-stay": (p) => longStayView(p.query),
    tracing: (p) => (p.id ? caseView(p.id) : tracingView(p.query)),
    "open-days": (p) => (p.id ? openDayView(p.id) : openDaysView()),
    campaigns: (p) => (p.id ? campaignView(p.id) : campaignsView()),
    people: (p) => (p.id ? personView(p.id) : peopleView(p.query)),
    encounters: (p) => (p.id ? encounterView(p.id) : peopleView(p.query)),
    tasks: () => tasksView(),
  };

  function render() {
    const here = place();
    const builder = SECTIONS[here.section] || SECTIONS.residents;
    const tab = { "long-stay": "residents", encounters: "people" }[here.section] || here.section;
    document.querySelectorAll("#sections a").forEach((a) => {
      if (a.dataset.section === tab) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    return showView(() => builder(here));
  }

  D.shell.mount({
    title: "救助站",
    roles: ["rescue_staff", "admin"],
    start: async (me) => {
      caller = me;
      await D.labels.load();
      try {
        mapConfig = await D.getJson("/dashboard/config");
        zone = mapConfig.timezone || zone;
      } catch (_e) {
        /* the county's default zone and a plain map background */
      }
      window.addEventListener("hashchange", render);
      await render();
      document.body.dataset.ready = caller.role;
    },
  });
})();
