/* The supervisors' page (走访督导): a weekly review. Pick an area and a period (both kept in
 * the address: back, reload and a new tab keep them), read coverage and the map, work the
 * tasks (filter, open, reassign one or many, export), list the focus households by status,
 * review visits. Plain browser JavaScript on the shared front end (static/common): every
 * call goes through Doudi.call (one sign-in, token refresh), labels come from the server's
 * one table (Doudi.labels), the header and sign-in from Doudi.shell. */
(function () {
  "use strict";

  const D = window.Doudi;
  const el = D.shell.el;
  const $ = (sel, root) => (root || document).querySelector(sel);
  const label = (vocabulary, code) => D.labels.label(vocabulary, code);

  // Map colours by household status (the legend in index.html uses the same).
  const STATUS_COLOURS = {
    visited: "#2e7d32",
    overdue: "#e65100",
    never_visited: "#c62828",
    up_to_date: "#607d8b",
  };
  const PAGE_SIZE = 100;
  const VIEWS = ["overview", "tasks", "households", "review"];

  const state = {
    me: null,
    config: null,
    areas: new Map(), // the caller's subtree, by id
    users: new Map(), // active users of the caller's subtree, by id
    fieldLabels: {}, // the visit form's field labels (GET /forms/visit)
    trail: [], // areas from the caller's own down to the current one
    view: "overview",
    map: null,
    layers: {},
    overlays: null,
    reviewing: null,
    photoUrls: [],
    tasks: { page: 1, selected: new Set() },
    households: { page: 1 },
    openTask: null,
  };

  // ------------------------------------------------------------------ county calendar

  // Dates are the county's (COUNTY_TIMEZONE), whatever zone this computer is set to.
  function countyDate(moment) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: state.config.timezone }).format(moment);
  }

  function countyTime(iso) {
    return iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: state.config.timezone, hour12: false }) : "—";
  }

  function countyDay(iso) {
    return iso ? new Date(iso).toLocaleDateString("zh-CN", { timeZone: state.config.timezone }) : "—";
  }

  // Minutes the county's clock is ahead of UTC at `moment`.
  function zoneOffsetMinutes(moment) {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: state.config.timezone, hourCycle: "h23", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(moment);
    const get = (type) => Number(parts.find((p) => p.type === type).value);
    const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
    return Math.round((asUtc - moment.getTime()) / 60000);
  }

  // A county day's midnight as an RFC 3339 time (for ?visited_from=).
  function countyMidnight(day) {
    const guess = new Date(day + "T00:00:00Z");
    return new Date(guess.getTime() - zoneOffsetMinutes(guess) * 60000).toISOString();
  }

  function addDays(day, n) {
    const d = new Date(day + "T12:00:00Z"); // noon UTC: no zone can shift the date
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function defaultPeriod() {
    const today = countyDate(new Date());
    return { from: addDays(today, -29), to: today };
  }

  // ------------------------------------------------------------------ the address

  function current() {
    return state.trail[state.trail.length - 1];
  }

  function trailTo(areaId) {
    const trail = [];
    let area = state.areas.get(areaId);
    while (area) {
      trail.unshift(area);
      if (area.id === state.me.area.id) return trail;
      area = state.areas.get(area.parent_id);
    }
    return [state.areas.get(state.me.area.id) || state.me.area]; // not in the subtree
  }

  // Area, period and view from the address (a link, back/forward, reload, a new tab).
  function applyAddress() {
    const q = new URLSearchParams(location.search);
    const period = defaultPeriod();
    $("#from").value = q.get("from") || period.from;
    $("#to").value = q.get("to") || period.to;
    state.trail = trailTo(Number(q.get("area")) || state.me.area.id);
    state.view = VIEWS.includes(q.get("view")) ? q.get("view") : "overview";
  }

  function writeAddress(push) {
    const q = new URLSearchParams({ area: current().id, from: $("#from").value, to: $("#to").value });
    if (state.view !== "overview") q.set("view", state.view);
    const url = location.pathname + "?" + q.toString();
    if (url === location.pathname + location.search) return;
    history[push ? "pushState" : "replaceState"](null, "", url);
  }

  window.addEventListener("popstate", () => {
    if (!state.me) return;
    applyAddress();
    load().catch(showError);
  });

  function go(changes) {
    if (changes.areaId) state.trail = trailTo(changes.areaId);
    if (changes.view) state.view = changes.view;
    writeAddress(true);
    load().catch(showError);
  }

  function period() {
    return { area_id: current().id, from: $("#from").value, to: $("#to").value };
  }

  // ------------------------------------------------------------------ start

  async function start(me) {
    state.me = me;
    const [config] = await Promise.all([D.getJson("/dashboard/config"), D.labels.load()]);
    state.config = config;
    const [areas, users] = await Promise.all([
      D.getJson("/areas", { page_size: 500 }),
      D.getJson("/users", { active: true, page_size: 500 }),
    ]);
    for (const area of areas) state.areas.set(area.id, area);
    if (!state.areas.has(me.area.id)) state.areas.set(me.area.id, Object.assign({ parent_id: null }, me.area));
    for (const user of users) state.users.set(user.id, user);
    try {
      collectLabels((await D.getJson("/forms/visit")).fields || []);
    } catch (_e) {
      /* the findings then show their field names */
    }
    fillChoices();
    applyAddress();
    writeAddress(false);
    initMap();
    await load();
  }

  function collectLabels(fields) {
    for (const field of fields) {
      if (field.name && field.label) state.fieldLabels[field.name] = field.label;
      if (field.fields) collectLabels(field.fields);
      if (field.items && field.items.fields) collectLabels(field.items.fields);
    }
  }

  function options(select, choices, first) {
    select.textContent = "";
    if (first) select.append(el("option", { value: first.value, text: first.label }));
    for (const choice of choices) select.append(el("option", { value: choice.value, text: choice.label }));
  }

  function userName(id) {
    if (id === null || id === undefined) return "未分配";
    const user = state.users.get(id);
    return user ? user.display_name : "#" + id;
  }

  // People a task may go to: the subtree's outreach workers and supervisors.
  function assigneeChoices() {
    return Array.from(state.users.values())
      .filter((u) => u.role === "outreach_worker" || u.role === "supervisor")
      .sort((a, b) => (a.area.name + a.display_name).localeCompare(b.area.name + b.display_name, "zh-CN"))
      .map((u) => ({ value: String(u.id), label: u.display_name + "（" + u.area.name + "，" + label("role", u.role) + "）" }));
  }

  function fillChoices() {
    const filters = $("#task-filters");
    options(filters.kind, D.labels.choices("task_kind"), { value: "", label: "全部" });
    options(filters.status, D.labels.choices("task_status"), { value: "", label: "未办结" });
    options(filters.assignee_id, assigneeChoices(), { value: "", label: "全部" });
    options($("#reassign-to"), assigneeChoices(), { value: "", label: "请选择…" });
    $("#reassign-to").append(el("option", { value: "queue", text: "（放回待分配队列）" }));
    options($("#task-assignee"), assigneeChoices(), { value: "", label: "（放回待分配）" });
    options($("#household-filters").status, D.labels.choices("household_status"), { value: "", label: "全部" });
    options($("#review-filters").review_state, D.labels.choices("review_state"));
    $("#review-filters").review_state.value = "pending"; // the server's table comes sorted by code
  }

  // ------------------------------------------------------------------ loading

  function showStatus(text) {
    $("#status").textContent = text;
  }

  function showError(error) {
    showStatus("出错了：" + error.message);
  }

  function renderBreadcrumb() {
    const nav = $("#breadcrumb");
    nav.textContent = "";
    state.trail.forEach((area, i) => {
      if (i > 0) nav.append(el("span", { class: "sep", text: "›" }));
      const last = i === state.trail.length - 1;
      nav.append(last
        ? el("span", { text: area.name })
        : el("a", { href: "#", text: area.name, onclick: (e) => { e.preventDefault(); go({ areaId: area.id }); } }));
    });
  }

  function showView() {
    for (const view of VIEWS) {
      $("#view-" + view).hidden = view !== state.view;
      $("#tab-" + view).setAttribute("aria-selected", String(view === state.view));
    }
  }

  async function load() {
    renderBreadcrumb();
    showView();
    showStatus("加载中…");
    const loads = [loadPendingCount()];
    if (state.view === "overview") loads.push(loadOverview());
    if (state.view === "tasks") loads.push(loadTasks(true));
    if (state.view === "households") loads.push(loadHouseholds(true));
    if (state.view === "review") loads.push(loadReviews());
    await Promise.all(loads);
    // What the user did meanwhile (a review, a reassignment) keeps its message.
    if ($("#status").textContent === "加载中…") {
      showStatus(`${current().name}：${$("#from").value} 至 ${$("#to").value}（${state.config.timezone}）`);
    }
  }

  document.querySelectorAll("#views [data-view]").forEach((tab) => {
    tab.addEventListener("click", () => go({ view: tab.dataset.view }));
  });

  $("#refresh").addEventListener("click", () => go({}));

  // ------------------------------------------------------------------ overview

  async function loadOverview() {
    const mine = D.ticket("overview");
    const [coverage, workers] = await Promise.all([
      D.getJson("/coverage", period()),
      D.getJson("/coverage/workers", period()),
    ]);
    if (!mine.current()) return;
    renderCoverage(coverage);
    renderWorkers(workers);
    await Promise.all([loadMap(), loadHelp(), loadWarnings()]);
  }

  function pct(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  function cell(tr, text, className) {
    const td = el("td", { class: className || null, text: text === undefined ? "" : String(text) });
    tr.append(td);
    return td;
  }

  function coverageCells(tr, row) {
    cell(tr, row.focus_households);
    cell(tr, row.visited);
    cell(tr, pct(row.coverage_rate), row.coverage_rate !== null && row.coverage_rate < 0.5 ? "rate-low" : "");
    cell(tr, row.visited_in_person);
    cell(tr, row.overdue);
    cell(tr, row.never_visited);
    cell(tr, row.up_to_date);
    cell(tr, row.visits);
    cell(tr, row.flagged_visits);
    cell(tr, row.flagged_pending_review);
    cell(tr, row.open_tasks);
    cell(tr, row.overdue_tasks);
  }

  function renderCoverage(report) {
    const body = $("#coverage-table tbody");
    body.textContent = "";
    for (const row of report.areas) {
      const tr = el("tr", { "data-area-id": row.area_id });
      tr.append(el("td", {}, el("a", {
        href: "#", class: "drill", title: "查看下级", text: row.name,
        onclick: (e) => { e.preventDefault(); go({ areaId: row.area_id }); },
      })));
      coverageCells(tr, row);
      body.append(tr);
    }
    const foot = $("#coverage-table tfoot");
    foot.textContent = "";
    // What lies in the area itself, in no child area (tasks at the county): the rows then
    // add up to the total.
    const own = report.own;
    if (own && (own.focus_households || own.visits || own.open_tasks)) {
      const ownRow = el("tr");
      cell(ownRow, `${own.name}本级（不属任何下级）`);
      coverageCells(ownRow, own);
      foot.append(ownRow);
    }
    const tr = el("tr");
    cell(tr, `${report.total.name} 合计`);
    coverageCells(tr, report.total);
    foot.append(tr);
    $("#as-of").textContent = "统计至 " + countyTime(report.as_of);
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 3600) return Math.round(seconds / 60) + " 分钟";
    if (seconds < 86400 * 2) return (seconds / 3600).toFixed(1) + " 小时";
    return (seconds / 86400).toFixed(1) + " 天";
  }

  function renderWorkers(report) {
    const body = $("#workers-table tbody");
    body.textContent = "";
    for (const w of report.workers) {
      const tr = el("tr");
      cell(tr, w.display_name || `#${w.worker_id}`);
      cell(tr, w.home_area_name || "");
      cell(tr, w.visits);
      cell(tr, w.households_reached);
      cell(tr, pct(w.in_person_share));
      cell(tr, pct(w.flagged_share));
      cell(tr, duration(w.median_upload_delay_seconds));
      cell(tr, w.tasks_done);
      cell(tr, w.tasks_overdue);
      body.append(tr);
    }
    if (!report.workers.length) {
      const tr = el("tr");
      cell(tr, "本期无走访记录").colSpan = 9;
      body.append(tr);
    }
  }

  function hours(value) {
    return value === null || value === undefined ? "—" : duration(value * 3600);
  }

  function helpCells(tr, row) {
    cell(tr, row.total);
    cell(tr, row.open);
    cell(tr, row.by_response_status.at_risk);
    cell(tr, row.by_response_status.breached, row.by_response_status.breached ? "rate-low" : "");
    cell(tr, pct(row.breached_share));
    cell(tr, hours(row.first_contact.median_hours));
    cell(tr, hours(row.first_contact.p90_hours));
    cell(tr, hours(row.closure.median_hours));
  }

  async function loadHelp() {
    const mine = D.ticket("help");
    const report = await D.getJson("/help-requests/stats", period());
    if (!mine.current()) return;
    const channels = Object.entries(report.by_channel)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${label("help_channel", name)} ${n}`);
    $("#help-summary").textContent =
      `共 ${report.total} 件（紧急 ${report.by_urgency.urgent}）` + (channels.length ? "：" + channels.join("，") : "");
    const body = $("#help-table tbody");
    body.textContent = "";
    for (const row of report.by_town) {
      const tr = el("tr");
      cell(tr, row.name);
      helpCells(tr, row);
      body.append(tr);
    }
    const foot = $("#help-table tfoot");
    foot.textContent = "";
    const tr = el("tr");
    cell(tr, `${report.area.name} 合计`);
    helpCells(tr, report);
    foot.append(tr);
  }

  // ------------------------------------------------------------------ data-matching warnings

  async function loadWarnings() {
    const mine = D.ticket("warnings");
    const report = await D.getJson("/matching/stats", period());
    if (!mine.current()) return;
    const body = $("#warnings-table tbody");
    body.textContent = "";
    let raised = 0;
    let inTime = 0;
    for (const row of report.areas) {
      raised += row.raised;
      inTime += row.handled_in_time;
      const tr = el("tr");
      cell(tr, row.area_name);
      cell(tr, row.raised);
      cell(tr, row.red);
      cell(tr, row.handled_in_time);
      cell(tr, row.handled_late);
      cell(tr, row.open);
      cell(tr, row.overdue, row.overdue ? "rate-low" : "");
      cell(tr, pct(row.handled_in_time_rate));
      body.append(tr);
    }
    $("#warnings-summary").textContent = raised
      ? `本期预警 ${raised} 条，按期处置 ${inTime} 条（${pct(inTime / raised)}）`
      : "本期无数据比对预警";
  }

  // ------------------------------------------------------------------ map

  function initMap() {
    if (state.map) return;
    state.map = L.map("map", { preferCanvas: true, zoomSnap: 0.25 });
    state.map.attributionControl.setPrefix(false); // the county's credit, not the library's
    if (state.config.map_tile_url) {
      L.tileLayer(state.config.map_tile_url, { maxZoom: 19 }).addTo(state.map);
    }
    if (state.config.map_credit) state.map.attributionControl.addAttribution(state.config.map_credit);
    state.map.setView([24.35, 114.13], 10);
  }

  function choroplethColour(rate) {
    if (rate === null || rate === undefined) return "#cfd8dc";
    if (rate >= 0.9) return "#1b5e20";
    if (rate >= 0.7) return "#43a047";
    if (rate >= 0.5) return "#c0ca33";
    if (rate >= 0.3) return "#fb8c00";
    return "#e53935";
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text === null || text === undefined ? "" : String(text);
    return div.innerHTML;
  }

  async function loadMap() {
    const mine = D.ticket("map");
    const [areas, households, visits, patrols] = await Promise.all([
      D.getJson("/maps/areas", period()),
      D.getJson("/maps/households", Object.assign(period(), { limit: 5000 })),
      D.getJson("/maps/visits", Object.assign(period(), { limit: 2000 })),
      D.getJson("/maps/patrols", Object.assign(period(), { limit: 2000 })),
    ]);
    if (!mine.current()) return;
    for (const layer of Object.values(state.layers)) layer.remove();
    if (state.overlays) state.overlays.remove();

    state.layers.areas = L.geoJSON(areas, {
      style: (f) => ({ color: "#37474f", weight: 1.5, fillColor: choroplethColour(f.properties.coverage_rate), fillOpacity: 0.45 }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        // The area's name on the map; its figures on hover; a click goes down into it.
        layer.bindTooltip(escapeHtml(p.name), { permanent: true, direction: "center", className: "area-name" });
        layer.bindPopup(`${escapeHtml(p.name)}：覆盖率 ${pct(p.coverage_rate)}（${p.visited}/${p.focus_households}），超期 ${p.overdue}`);
        layer.on("click", () => go({ areaId: p.area_id }));
      },
    }).addTo(state.map);

    state.layers.households = L.geoJSON(households, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, {
        radius: 5, weight: 1, color: "#fff", fillColor: STATUS_COLOURS[f.properties.status] || "#999", fillOpacity: 0.95,
      }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindPopup(`<b>${escapeHtml(p.head_name)}</b><br>${escapeHtml(p.address)}<br>` +
          `${escapeHtml(label("household_status", p.status))}，最近走访：${p.last_visit_at ? countyDay(p.last_visit_at) : "无"}`);
      },
    }).addTo(state.map);

    state.layers.visits = L.geoJSON(visits, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, {
        radius: 7, weight: 2.5, fill: false, color: f.properties.presence_flagged ? "#d50000" : "#1565c0",
      }),
      onEachFeature: (f, layer) => layer.on("click", () => openReview(f.properties.visit_id)),
    }).addTo(state.map);

    state.layers.patrols = L.geoJSON(patrols, {
      style: () => ({ color: "#6a1b9a", weight: 3, dashArray: "6 4" }),
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 4, weight: 1, color: "#fff", fillColor: "#6a1b9a", fillOpacity: 0.9 }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindPopup(p.kind === "patrol_route"
          ? `巡查 #${p.patrol_id}：${countyTime(p.started_at)}，${p.route_length_m ? (p.route_length_m / 1000).toFixed(1) + " 公里" : ""}`
          : `巡查遇见 #${p.encounter_id}：${countyTime(p.occurred_at)}`);
      },
    }).addTo(state.map);

    state.overlays = L.control.layers(null, {
      "重点户": state.layers.households,
      "走访": state.layers.visits,
      "巡查路线": state.layers.patrols,
    }, { collapsed: true }).addTo(state.map);

    const bounds = state.layers.areas.getBounds();
    if (bounds.isValid()) state.map.fitBounds(bounds, { padding: [10, 10] });
    else if (state.layers.households.getBounds().isValid()) state.map.fitBounds(state.layers.households.getBounds(), { padding: [20, 20] });
    $("#map").dataset.features = String(areas.features.length + households.features.length + visits.features.length);
    $("#map").dataset.patrols = String(patrols.features.length);
    state.map.invalidateSize();
  }

  // ------------------------------------------------------------------ tasks

  function taskFilters() {
    const form = $("#task-filters");
    const query = { area_id: current().id, page_size: PAGE_SIZE, page: state.tasks.page };
    if (form.kind.value) query.kind = form.kind.value;
    if (form.status.value) query.status = form.status.value;
    if (form.assignee_id.value && !form.unassigned.checked) query.assignee_id = form.assignee_id.value;
    if (form.overdue.checked) query.overdue = "true";
    if (form.unassigned.checked) query.unassigned = "true";
    return query;
  }

  // The town and village pickers show where the breadcrumb is, and move it.
  function syncAreaPickers() {
    const form = $("#task-filters");
    const towns = Array.from(state.areas.values()).filter((a) => a.level === "town");
    const town = state.trail.find((a) => a.level === "town");
    const village = state.trail.find((a) => a.level === "village");
    options(form.town, towns.map((a) => ({ value: String(a.id), label: a.name })), { value: "", label: "全部" });
    form.town.value = town ? String(town.id) : "";
    const villages = town ? Array.from(state.areas.values()).filter((a) => a.parent_id === town.id) : [];
    options(form.village, villages.map((a) => ({ value: String(a.id), label: a.name })), { value: "", label: "全部" });
    form.village.value = village ? String(village.id) : "";
    form.village.disabled = !town;
  }

  $("#task-filters").town.addEventListener("change", (e) => go({ areaId: Number(e.target.value) || state.me.area.id }));
  $("#task-filters").village.addEventListener("change", (e) => {
    go({ areaId: Number(e.target.value) || Number($("#task-filters").town.value) });
  });
  ["assignee_id", "kind", "status", "overdue", "unassigned"].forEach((name) => {
    $("#task-filters")[name].addEventListener("change", () => loadTasks(true).catch(showError));
  });

  function areaName(id) {
    const area = state.areas.get(id);
    return area ? area.name : "#" + id;
  }

  async function loadTasks(fresh) {
    syncAreaPickers();
    if (fresh) {
      state.tasks.page = 1;
      state.tasks.selected.clear();
      $("#task-table tbody").textContent = "";
    }
    const mine = D.ticket("tasks", !fresh);
    const response = await D.call("/tasks", { query: taskFilters() });
    const rows = await response.json();
    if (!mine.current()) return;
    const total = Number(response.headers.get("X-Total-Count") || rows.length);
    const body = $("#task-table tbody");
    const today = countyDate(new Date());
    for (const task of rows) {
      const overdue = ["open", "in_progress"].includes(task.status) && task.due_on < today;
      const box = el("input", { type: "checkbox", class: "pick", value: task.id, "aria-label": "选择任务 " + task.id });
      box.addEventListener("change", () => {
        if (box.checked) state.tasks.selected.add(task.id);
        else state.tasks.selected.delete(task.id);
        updateSelection();
      });
      body.append(el("tr", { "data-task-id": task.id }, [
        el("td", {}, box),
        el("td", {}, [
          task.priority === "high" ? el("span", { class: "tag high", text: "急" }) : null,
          el("a", { href: "#", class: "task-link", text: task.title, onclick: (e) => { e.preventDefault(); openTask(task.id); } }),
        ]),
        el("td", { text: label("task_kind", task.kind) }),
        el("td", { text: label("task_status", task.status) }),
        el("td", { class: overdue ? "rate-low" : null, text: task.due_on + (overdue ? "（逾期）" : "") }),
        el("td", { text: areaName(task.area_id) }),
        el("td", { class: task.assignee_id ? null : "muted", text: userName(task.assignee_id) }),
      ]));
    }
    const shown = body.children.length;
    $("#task-count").textContent = `共 ${total} 项` + (shown < total ? `，已显示 ${shown} 项` : "");
    $("#more-tasks").hidden = shown >= total;
    if (!total) body.append(el("tr", {}, el("td", { colspan: 7, text: "没有符合条件的任务" })));
    updateSelection();
  }

  $("#more-tasks").addEventListener("click", () => {
    state.tasks.page += 1;
    loadTasks(false).catch(showError);
  });

  function updateSelection() {
    const n = state.tasks.selected.size;
    $("#selected-count").textContent = `已选 ${n} 项`;
    $("#reassign-button").disabled = n === 0;
    const boxes = document.querySelectorAll("#task-table .pick");
    $("#select-all-tasks").checked = boxes.length > 0 && n === boxes.length;
  }

  $("#select-all-tasks").addEventListener("change", (e) => {
    document.querySelectorAll("#task-table .pick").forEach((box) => {
      box.checked = e.target.checked;
      if (box.checked) state.tasks.selected.add(Number(box.value));
      else state.tasks.selected.delete(Number(box.value));
    });
    updateSelection();
  });

  $("#reassign-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const ids = Array.from(state.tasks.selected);
    D.forms.clearErrors(form);
    if (!form.assignee_id.value) {
      D.forms.showErrors(form, { message: "请选择改派给谁", fieldErrors: { assignee_id: ["必填"] } });
      return;
    }
    const assignee = form.assignee_id.value === "queue" ? null : Number(form.assignee_id.value);
    try {
      await D.sendJson("POST", "/tasks/reassign", { task_ids: ids, assignee_id: assignee });
      showStatus(`已将 ${ids.length} 项任务改派给${assignee ? userName(assignee) : "待分配队列"}`);
      await loadTasks(true);
    } catch (error) {
      D.forms.showErrors(form, error);
    }
  });

  async function openTask(taskId) {
    const dialog = $("#task-dialog");
    const form = $("#task-form");
    D.forms.clearErrors(form);
    const [task, history] = await Promise.all([
      D.getJson(`/tasks/${taskId}`),
      D.getJson(`/tasks/${taskId}/history`),
    ]);
    state.openTask = task;
    let household = null;
    if (task.household_id) {
      try {
        household = await D.getJson(`/households/${task.household_id}`);
      } catch (_e) {
        household = null; // outside the caller's walls: the task shows without it
      }
    }
    $("#task-title").textContent = task.title;
    const rows = [
      ["类型", label("task_kind", task.kind)],
      ["状态", label("task_status", task.status) + "，优先级" + label("priority", task.priority)],
      ["截止", task.due_on],
      ["地点", areaName(task.area_id)],
      ["负责人", userName(task.assignee_id)],
      ["住户", household ? `${household.head_name}，${household.address}` : task.household_id ? "#" + task.household_id : "—"],
      ["重点人群", household ? (household.focus_groups || []).map((g) => label("focus_group", g)).join("、") || "—" : null],
      ["原因", task.reason || "—"],
      ["办理结果", task.outcome_note],
    ];
    $("#task-detail").replaceChildren(el("dl", { class: "facts" }, rows
      .filter(([, v]) => v !== null && v !== undefined && v !== "")
      .flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])));
    $("#task-history").replaceChildren(...history.map((h) => el("li", {}, [
      el("span", { class: "muted", text: countyTime(h.at) + " " + (h.actor_id ? userName(h.actor_id) : "系统") + " " }),
      el("b", { text: label("task_action", h.action) }),
      el("span", { text: historyText(h) }),
    ])));
    $("#task-assignee").value = task.assignee_id ? String(task.assignee_id) : "";
    if (!dialog.open) dialog.showModal();
  }

  function historyText(h) {
    const parts = [];
    const changes = h.changes || {};
    if (changes.assignee_id) parts.push(`${userName(changes.assignee_id.old)} → ${userName(changes.assignee_id.new)}`);
    if (changes.status) parts.push(`${label("task_status", changes.status.old)} → ${label("task_status", changes.status.new)}`);
    if (changes.due_on) parts.push(`截止 ${changes.due_on.old} → ${changes.due_on.new}`);
    if (h.note && !/^rule /.test(h.note)) parts.push(h.note);
    return parts.length ? "：" + parts.join("；") : "";
  }

  $("#task-close").addEventListener("click", () => $("#task-dialog").close());

  $("#task-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const assignee = form.assignee_id.value ? Number(form.assignee_id.value) : null;
    try {
      await D.sendJson("PATCH", `/tasks/${state.openTask.id}`, { assignee_id: assignee });
      showStatus(`任务 #${state.openTask.id} 已改派给${assignee ? userName(assignee) : "待分配队列"}`);
      await openTask(state.openTask.id);
      await loadTasks(true);
    } catch (error) {
      D.forms.showErrors(form, error);
    }
  });

  // ------------------------------------------------------------------ households

  $("#household-filters").status.addEventListener("change", () => loadHouseholds(true).catch(showError));

  async function loadHouseholds(fresh) {
    if (fresh) {
      state.households.page = 1;
      $("#household-table tbody").textContent = "";
    }
    $("#household-area").textContent = current().name;
    const query = Object.assign(period(), { page: state.households.page, page_size: PAGE_SIZE });
    const status = $("#household-filters").status.value;
    if (status) query.status = status;
    const mine = D.ticket("households", !fresh);
    const response = await D.call("/coverage/households", { query });
    const rows = await response.json();
    if (!mine.current()) return;
    const total = Number(response.headers.get("X-Total-Count") || rows.length);
    const body = $("#household-table tbody");
    for (const h of rows) {
      const village = state.areas.get(h.area_id);
      body.append(el("tr", { "data-household-id": h.id }, [
        el("td", { text: h.head_name }),
        el("td", { text: h.address }),
        el("td", {}, village && village.id !== current().id
          ? el("a", { href: "#", class: "drill", text: h.village_name || h.town_name, onclick: (e) => { e.preventDefault(); go({ areaId: village.id }); } })
          : (h.village_name || h.town_name || "")),
        el("td", {}, [el("i", { class: "swatch", style: "background:" + (STATUS_COLOURS[h.status] || "#999") }), label("household_status", h.status)]),
        el("td", { text: h.last_visit_at ? countyDay(h.last_visit_at) : "从未" }),
        el("td", { text: h.focus_groups.map((g) => label("focus_group", g)).join("、") }),
        el("td", { text: h.last_worker_name || "—" }),
      ]));
    }
    const shown = body.children.length;
    $("#household-count").textContent = `共 ${total} 户` + (shown < total ? `，已显示 ${shown} 户` : "");
    $("#more-households").hidden = shown >= total;
  }

  $("#more-households").addEventListener("click", () => {
    state.households.page += 1;
    loadHouseholds(false).catch(showError);
  });

  // ------------------------------------------------------------------ review

  // The visits of the period to review (the coverage table's 待审核 counts the flagged
  // pending ones: the same query, so the count and the list agree).
  function reviewQuery(extra) {
    return Object.assign({
      area_id: current().id,
      visited_from: countyMidnight($("#from").value),
      visited_to: countyMidnight(addDays($("#to").value, 1)),
    }, extra);
  }

  async function loadPendingCount() {
    const mine = D.ticket("pending");
    const response = await D.call("/visits", { query: reviewQuery({ review_state: "pending", presence_flagged: "true", page_size: 1 }) });
    if (!mine.current()) return;
    const count = Number(response.headers.get("X-Total-Count") || 0);
    $("#pending-count").textContent = count ? String(count) : "";
    $("#pending-count").dataset.count = String(count);
  }

  ["review_state", "presence_flagged"].forEach((name) => {
    $("#review-filters")[name].addEventListener("change", () => loadReviews().catch(showError));
  });

  async function loadReviews() {
    const form = $("#review-filters");
    const query = reviewQuery({ review_state: form.review_state.value, page_size: 200 });
    if (form.presence_flagged.checked) query.presence_flagged = "true";
    const mine = D.ticket("reviews");
    const response = await D.call("/visits", { query });
    const visits = await response.json();
    if (!mine.current()) return;
    const total = Number(response.headers.get("X-Total-Count") || visits.length);
    const list = $("#flagged-list");
    list.textContent = "";
    $("#review-count").textContent = `${label("review_state", form.review_state.value)}：共 ${total} 次走访` + (total > visits.length ? `，显示最近 ${visits.length} 次` : "");
    for (const v of visits) {
      const reasons = (v.presence.reasons || []).map((r) => label("presence_reason", r)).join("、");
      list.append(el("li", {}, [
        el("span", { text: `#${v.id} ${areaName(v.area_id)} ${countyTime(v.visited_at)} ${label("channel", v.channel)} ${userName(v.worker_id)} ${reasons}` }),
        el("button", { type: "button", class: "review-button", "data-visit-id": v.id, text: v.review_state === "pending" ? "审核" : "查看", onclick: () => openReview(v.id) }),
      ]));
    }
    if (!visits.length) list.append(el("li", { text: "没有符合条件的走访" }));
  }

  function forgetPhotos() {
    for (const url of state.photoUrls) URL.revokeObjectURL(url);
    state.photoUrls = [];
    $("#review-photos").textContent = "";
  }

  // A photo needs the token: fetched with it and shown from a blob URL.
  async function photoUrl(path) {
    const blob = await (await D.call(path)).blob();
    const url = URL.createObjectURL(blob);
    state.photoUrls.push(url);
    return url;
  }

  function money(value) {
    return value === null || value === undefined ? "—" : String(value); // the label says 元
  }

  async function openReview(visitId) {
    const form = $("#review-form");
    form.reset(); // a fresh form for every visit: no state or comment left from the last one
    form.comment.dispatchEvent(new Event("input")); // its "0/2000" counter too
    D.forms.clearErrors(form);
    forgetPhotos();
    $("#review-detail").textContent = "加载中…";
    $("#review-visit-id").textContent = "#" + visitId;
    const dialog = $("#review-dialog");
    if (!dialog.open) dialog.showModal();
    const visit = await D.getJson(`/visits/${visitId}`);
    state.reviewing = visit;
    let household = null;
    try {
      household = await D.getJson(`/households/${visit.household_id}`);
    } catch (_e) {
      household = null;
    }
    const findings = visit.findings || {};
    const field = (name) => state.fieldLabels[name] || name;
    const presence = visit.presence || {};
    const reasons = (presence.reasons || []).map((r) => label("presence_reason", r)).join("、");
    const rows = [
      ["走访人", userName(visit.worker_id)],
      ["住户", household ? `${household.head_name}，${household.address}（${areaName(household.area_id)}）` : "#" + visit.household_id],
      ["走访", `${countyTime(visit.visited_at)}，${label("channel", visit.channel)}，上传于 ${countyTime(visit.received_at)}`],
      [field("household_size"), findings.household_size],
      [field("monthly_income_total"), findings.monthly_income_total !== undefined ? money(findings.monthly_income_total) : null],
      [field("rigid_expenses_monthly"), findings.rigid_expenses_monthly !== undefined ? money(findings.rigid_expenses_monthly) : null],
      [field("circumstances"), (findings.circumstances || []).map((c) => label("circumstance", c)).join("、")],
      [field("needs"), (visit.needs || []).map((n) => label("need", n)).join("、")],
      ["筛查建议", visit.screening_result ? label("screening_result", visit.screening_result) + "（仅供参考，不是认定）" : null],
      [field("notes"), visit.notes],
      ["位置核验", presence.flagged ? "异常：" + (reasons || "—") : "正常"],
      ["与住址距离", presence.distance_m === null || presence.distance_m === undefined ? null : Math.round(presence.distance_m) + " 米"],
      [field("accuracy_m"), visit.accuracy_m === null || visit.accuracy_m === undefined ? null : Math.round(visit.accuracy_m) + " 米"],
      ["审核状态", label("review_state", visit.review_state) + (visit.review_comment ? "：" + visit.review_comment : "")],
    ];
    $("#review-detail").replaceChildren(el("dl", { class: "facts" }, rows
      .filter(([, v]) => v !== null && v !== undefined && v !== "")
      .flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })])));
    const photos = await D.getJson(`/visits/${visitId}/photos`);
    for (const photo of photos.filter((p) => p.status === "ready")) {
      const img = el("img", { alt: "走访照片 #" + photo.id, class: "photo", "data-photo-id": photo.id });
      img.src = await photoUrl(`/photos/${photo.id}/thumbnail`);
      img.addEventListener("click", async () => { img.src = await photoUrl(`/photos/${photo.id}`); });
      $("#review-photos").append(el("figure", {}, [img, photo.flagged ? el("figcaption", { class: "error", text: "照片位置或时间异常" }) : null]));
    }
    if (!photos.length) $("#review-photos").append(el("p", { class: "muted", text: "无照片" }));
  }

  $("#review-cancel").addEventListener("click", () => $("#review-dialog").close());
  $("#review-dialog").addEventListener("close", forgetPhotos);

  $("#review-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const reviewState = form.state.value;
    const comment = form.comment.value.trim();
    D.forms.clearErrors(form);
    if (reviewState !== "approved" && !comment) {
      D.forms.showErrors(form, { message: "“有问题”或“退回”请填写审核意见", fieldErrors: { comment: ["必填"] } });
      return;
    }
    const visitId = state.reviewing.id;
    try {
      await D.sendJson("PATCH", `/visits/${visitId}/review`, { state: reviewState, comment: comment || null });
      $("#review-dialog").close();
      showStatus(`走访 #${visitId} 已审核：${label("review_state", reviewState)}` +
        (reviewState === "approved" ? "" : "，已给走访人员派整改任务"));
      // The count, the list and the figures move together: no manual refresh.
      const loads = [loadPendingCount()];
      if (state.view === "review") loads.push(loadReviews());
      if (state.view === "overview") loads.push(loadOverview());
      await Promise.all(loads);
    } catch (error) {
      D.forms.showErrors(form, error);
    }
  });

  // ------------------------------------------------------------------ exports

  function fileName(response, fallback) {
    const header = response.headers.get("Content-Disposition") || "";
    const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) return decodeURIComponent(star[1]);
    const plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  async function download(path, query, fallback) {
    showStatus("正在导出…");
    try {
      const response = await D.call(path, { query });
      const url = URL.createObjectURL(await response.blob());
      const a = el("a", { href: url, download: fileName(response, fallback) });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      showStatus("已导出：" + a.download);
    } catch (error) {
      showError(error);
    }
  }

  document.querySelectorAll("[data-export]").forEach((button) => {
    button.addEventListener("click", () => {
      const kind = button.dataset.export;
      const format = button.dataset.format;
      download(button.dataset.exportPath || `/exports/${kind}`, Object.assign(period(), { format }), `${kind}.${format}`);
    });
  });

  document.querySelectorAll("[data-task-export]").forEach((button) => {
    button.addEventListener("click", () => {
      // The tasks as listed (the same filters), whatever their due date.
      const query = Object.assign(taskFilters(), period(), { format: button.dataset.taskExport, as_listed: "true" });
      delete query.page;
      delete query.page_size;
      download("/exports/tasks", query, `tasks.${query.format}`);
    });
  });

  document.querySelectorAll("[data-household-export]").forEach((button) => {
    button.addEventListener("click", () => {
      const format = button.dataset.householdExport;
      const query = Object.assign(period(), { format });
      const status = $("#household-filters").status.value;
      if (status) query.status = status;
      download("/exports/households", query, `households.${format}`);
    });
  });

  D.forms.showLimits(document);

  D.shell.mount({ title: "走访督导", roles: ["supervisor", "admin"], start: (me) => start(me).catch(showError) });
})();
