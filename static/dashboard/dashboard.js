/* The supervisors' page: sign in, pick an area and a period, read coverage, look at the
 * map, review flagged visits, download exports. Plain browser JavaScript, no build step.
 * Every data call carries the access token; the page itself holds no data. */
(function () {
  "use strict";

  const API = "/api/v1";
  const STATUS_COLOURS = {
    visited: "#2e7d32",
    overdue: "#e65100",
    never_visited: "#c62828",
    up_to_date: "#607d8b",
  };
  const STATUS_LABELS = {
    visited: "期内已走访",
    overdue: "超期未回访",
    never_visited: "从未走访",
    up_to_date: "未到回访期",
  };
  const CHANNELS = { in_person: "上门", phone: "电话", video: "视频" };
  const REVIEW_STATES = { pending: "待审核", approved: "通过", has_issues: "有问题", rejected: "退回" };
  const REASONS = { far_from_household: "距离住址过远", poor_accuracy: "定位精度差" };
  const LEVELS = { county: "县", town: "镇", village: "村/社区" };

  const state = {
    accessToken: sessionStorage.getItem("doudi.access") || "",
    refreshToken: sessionStorage.getItem("doudi.refresh") || "",
    me: null,
    config: null,
    trail: [], // areas from the user's own down to the current one
    map: null,
    layers: {},
    reviewing: null,
  };

  const $ = (sel) => document.querySelector(sel);

  // This browser's device id: random, kept across visits, so that its refresh token is
  // bound to it and sign-in throttling trusts it once it has signed in (docs/accounts.md).
  function deviceId() {
    let id = localStorage.getItem("doudi.device");
    if (!id) {
      // getRandomValues, unlike randomUUID, works on plain-HTTP pages too.
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      id = "dashboard-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      localStorage.setItem("doudi.device", id);
    }
    return id;
  }

  // ---------------------------------------------------------------- API calls

  async function call(path, options = {}, retry = true) {
    const headers = Object.assign({}, options.headers || {});
    if (state.accessToken) headers.Authorization = "Bearer " + state.accessToken;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.json);
    }
    const response = await fetch(API + path, Object.assign({}, options, { headers }));
    if (response.status === 401 && retry && state.refreshToken && (await refresh())) {
      return call(path, options, false);
    }
    if (response.status === 401) {
      signOut();
      throw new Error("登录已过期，请重新登录");
    }
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const problem = await response.json();
        detail = problem.detail || problem.title || detail;
        if (problem.errors) detail += " " + JSON.stringify(problem.errors);
      } catch (_e) { /* not JSON */ }
      throw new Error(`${response.status} ${detail}`);
    }
    return response;
  }

  async function getJson(path) {
    return (await call(path)).json();
  }

  async function refresh() {
    const response = await fetch(API + "/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: state.refreshToken, device_id: deviceId() }),
    });
    if (!response.ok) return false;
    storeTokens(await response.json());
    return true;
  }

  function storeTokens(tokens) {
    state.accessToken = tokens.access_token;
    state.refreshToken = tokens.refresh_token || state.refreshToken;
    sessionStorage.setItem("doudi.access", state.accessToken);
    sessionStorage.setItem("doudi.refresh", state.refreshToken);
  }

  function signOut() {
    state.accessToken = state.refreshToken = "";
    sessionStorage.removeItem("doudi.access");
    sessionStorage.removeItem("doudi.refresh");
    $("#app-view").hidden = true;
    $("#who").hidden = true;
    $("#login-view").hidden = false;
  }

  // ---------------------------------------------------------------- sign in

  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("#login-error").textContent = "";
    const response = await fetch(API + "/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        username: $("#username").value.trim(),
        password: $("#password").value,
        device_id: deviceId(),
      }),
    });
    if (!response.ok) {
      $("#login-error").textContent =
        response.status === 429 ? "尝试次数过多，请稍后再试" : "用户名或密码错误";
      return;
    }
    storeTokens(await response.json());
    $("#password").value = "";
    start().catch(showError);
  });

  $("#logout").addEventListener("click", async () => {
    try { await call("/auth/logout", { method: "POST" }, false); } catch (_e) { /* gone */ }
    signOut();
  });

  async function start() {
    state.me = await getJson("/me");
    state.config = await getJson("/dashboard/config");
    if (!["supervisor", "admin"].includes(state.me.role)) {
      signOut();
      $("#login-error").textContent = "此页面供督导人员使用";
      return;
    }
    $("#who-name").textContent = `${state.me.display_name}（${state.me.area.name}）`;
    $("#who").hidden = false;
    $("#login-view").hidden = true;
    $("#app-view").hidden = false;
    setDefaultPeriod();
    initMap();
    state.trail = [state.me.area];
    await load();
  }

  // ---------------------------------------------------------------- period and area

  // Dates and times are the county's (the server's COUNTY_TIMEZONE), whatever zone the
  // supervisor's computer is set to: reports count county calendar days.
  function countyDate(moment) {
    // en-CA writes dates as YYYY-MM-DD.
    return new Intl.DateTimeFormat("en-CA", { timeZone: state.config.timezone }).format(moment);
  }

  function countyTime(iso) {
    return new Date(iso).toLocaleString("zh-CN", { timeZone: state.config.timezone });
  }

  function countyDay(iso) {
    return new Date(iso).toLocaleDateString("zh-CN", { timeZone: state.config.timezone });
  }

  function setDefaultPeriod() {
    if ($("#to").value) return;
    const today = countyDate(new Date());
    // Calendar arithmetic on the county date itself, at noon UTC: no zone can shift it.
    const first = new Date(today + "T12:00:00Z");
    first.setUTCDate(first.getUTCDate() - 29);
    $("#to").value = today;
    $("#from").value = first.toISOString().slice(0, 10);
  }

  function current() {
    return state.trail[state.trail.length - 1];
  }

  function query(extra = {}) {
    const params = new URLSearchParams({ area_id: current().id });
    if ($("#from").value) params.set("from", $("#from").value);
    if ($("#to").value) params.set("to", $("#to").value);
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    return params.toString();
  }

  function drillInto(area) {
    if (area.level === "village") return;
    state.trail.push(area);
    load().catch(showError);
  }

  function renderBreadcrumb() {
    const nav = $("#breadcrumb");
    nav.textContent = "";
    state.trail.forEach((area, i) => {
      if (i > 0) {
        const sep = document.createElement("span");
        sep.className = "sep";
        sep.textContent = "›";
        nav.appendChild(sep);
      }
      const last = i === state.trail.length - 1;
      const el = document.createElement(last ? "span" : "a");
      el.textContent = area.name;
      if (!last) {
        el.addEventListener("click", () => {
          state.trail = state.trail.slice(0, i + 1);
          load().catch(showError);
        });
      }
      nav.appendChild(el);
    });
  }

  $("#refresh").addEventListener("click", () => load().catch(showError));

  // ---------------------------------------------------------------- loading

  function showStatus(text) {
    $("#status").textContent = text;
  }

  function showError(error) {
    showStatus("出错了：" + error.message);
  }

  async function load() {
    renderBreadcrumb();
    showStatus("加载中…");
    const [coverage, workers] = await Promise.all([
      getJson("/coverage?" + query()),
      getJson("/coverage/workers?" + query()),
    ]);
    renderCoverage(coverage);
    renderWorkers(workers);
    await Promise.all([loadMap(), loadFlagged(), loadHelp(), loadWarnings()]);
    showStatus(`${coverage.area.name}：${coverage.from} 至 ${coverage.to}（${coverage.timezone}）`);
  }

  function pct(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  function cell(tr, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    tr.appendChild(td);
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
      const tr = document.createElement("tr");
      tr.dataset.areaId = row.area_id;
      const td = document.createElement("td");
      if (row.level !== "village") {
        const a = document.createElement("a");
        a.className = "drill";
        a.textContent = row.name;
        a.title = "查看下级";
        a.addEventListener("click", () =>
          drillInto({ id: row.area_id, name: row.name, level: row.level }));
        td.appendChild(a);
      } else {
        td.textContent = row.name;
      }
      tr.appendChild(td);
      coverageCells(tr, row);
      body.appendChild(tr);
    }
    const foot = $("#coverage-table tfoot");
    foot.textContent = "";
    // What lies in the area itself, in no child area (tasks at the county): the rows then
    // add up to the total.
    const own = report.own;
    if (own && (own.focus_households || own.visits || own.open_tasks)) {
      const ownRow = document.createElement("tr");
      cell(ownRow, `${own.name}本级（不属任何下级）`);
      coverageCells(ownRow, own);
      foot.appendChild(ownRow);
    }
    const tr = document.createElement("tr");
    cell(tr, `${report.total.name} 合计`);
    coverageCells(tr, report.total);
    foot.appendChild(tr);
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
      const tr = document.createElement("tr");
      cell(tr, w.display_name || `#${w.worker_id}`);
      cell(tr, w.home_area_name || "");
      cell(tr, w.visits);
      cell(tr, w.households_reached);
      cell(tr, pct(w.in_person_share));
      cell(tr, pct(w.flagged_share));
      cell(tr, duration(w.median_upload_delay_seconds));
      cell(tr, w.tasks_done);
      cell(tr, w.tasks_overdue);
      body.appendChild(tr);
    }
    if (!report.workers.length) {
      const tr = document.createElement("tr");
      const td = cell(tr, "本期无走访记录");
      td.colSpan = 9;
      body.appendChild(tr);
    }
  }

  // ---------------------------------------------------------------- help requests

  const CHANNEL_NAMES = {
    hotline: "热线", town_office: "镇办", village_cadre: "村干部",
    grid_worker: "网格员", online_form: "网上",
  };

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
    const report = await getJson("/help-requests/stats?" + query());
    const channels = Object.entries(report.by_channel)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${CHANNEL_NAMES[name] || name} ${n}`);
    $("#help-summary").textContent =
      `共 ${report.total} 件（紧急 ${report.by_urgency.urgent}）` +
      (channels.length ? "：" + channels.join("，") : "");
    const body = $("#help-table tbody");
    body.textContent = "";
    for (const row of report.by_town) {
      const tr = document.createElement("tr");
      cell(tr, row.name);
      helpCells(tr, row);
      body.appendChild(tr);
    }
    const foot = $("#help-table tfoot");
    foot.textContent = "";
    const tr = document.createElement("tr");
    cell(tr, `${report.area.name} 合计`);
    helpCells(tr, report);
    foot.appendChild(tr);
  }

  // ---------------------------------------------------------------- data-matching warnings

  async function loadWarnings() {
    const report = await getJson("/matching/stats?" + query());
    const body = $("#warnings-table tbody");
    body.textContent = "";
    let raised = 0;
    let inTime = 0;
    for (const row of report.areas) {
      raised += row.raised;
      inTime += row.handled_in_time;
      const tr = document.createElement("tr");
      cell(tr, row.area_name);
      cell(tr, row.raised);
      cell(tr, row.red);
      cell(tr, row.handled_in_time);
      cell(tr, row.handled_late);
      cell(tr, row.open);
      cell(tr, row.overdue, row.overdue ? "rate-low" : "");
      cell(tr, pct(row.handled_in_time_rate));
      body.appendChild(tr);
    }
    $("#warnings-summary").textContent = raised
      ? `本期预警 ${raised} 条，按期处置 ${inTime} 条（${pct(inTime / raised)}）`
      : "本期无数据比对预警";
  }

  // ---------------------------------------------------------------- map

  function initMap() {
    if (state.map) return;
    state.map = L.map("map", { preferCanvas: true, zoomSnap: 0.25 });
    if (state.config.map_tile_url) {
      L.tileLayer(state.config.map_tile_url, { maxZoom: 19 }).addTo(state.map);
    }
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
    const [areas, households, visits] = await Promise.all([
      getJson("/maps/areas?" + query()),
      getJson("/maps/households?" + query({ limit: 5000 })),
      getJson("/maps/visits?" + query({ limit: 2000 })),
    ]);
    for (const layer of Object.values(state.layers)) layer.remove();

    state.layers.areas = L.geoJSON(areas, {
      style: (f) => ({
        color: "#37474f",
        weight: 1.5,
        fillColor: choroplethColour(f.properties.coverage_rate),
        fillOpacity: 0.45,
      }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(
          `${escapeHtml(p.name)}：覆盖率 ${pct(p.coverage_rate)}（${p.visited}/${p.focus_households}），超期 ${p.overdue}`,
          { sticky: true });
        layer.on("click", () => drillInto({ id: p.area_id, name: p.name, level: p.level }));
      },
    }).addTo(state.map);

    state.layers.households = L.geoJSON(households, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, {
        radius: 5, weight: 1, color: "#fff",
        fillColor: STATUS_COLOURS[f.properties.status] || "#999", fillOpacity: 0.95,
      }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        const last = p.last_visit_at ? countyDay(p.last_visit_at) : "无";
        layer.bindPopup(`<b>${escapeHtml(p.head_name)}</b><br>${escapeHtml(p.address)}<br>` +
          `${STATUS_LABELS[p.status] || p.status}，最近走访：${last}`);
      },
    }).addTo(state.map);

    state.layers.visits = L.geoJSON(visits, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, {
        radius: 7, weight: 2.5, fill: false,
        color: f.properties.presence_flagged ? "#d50000" : "#1565c0",
      }),
      onEachFeature: (f, layer) => {
        layer.on("click", () => openReview(f.properties));
      },
    }).addTo(state.map);

    const bounds = state.layers.areas.getBounds();
    if (bounds.isValid()) state.map.fitBounds(bounds, { padding: [10, 10] });
    $("#map").dataset.features = String(
      areas.features.length + households.features.length + visits.features.length);
  }

  // ---------------------------------------------------------------- review

  async function loadFlagged() {
    const layer = await getJson("/maps/visits?" + query({ flagged: "true", review_state: "pending", limit: 200 }));
    const list = $("#flagged-list");
    list.textContent = "";
    for (const f of layer.features) {
      const p = f.properties;
      const li = document.createElement("li");
      const text = document.createElement("span");
      const reasons = (p.presence_reasons || []).map((r) => REASONS[r] || r).join("、");
      text.textContent = `#${p.visit_id} ${p.area_name} ${countyTime(p.visited_at)} ${reasons}`;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "review-button";
      button.dataset.visitId = p.visit_id;
      button.textContent = "审核";
      button.addEventListener("click", () => openReview(p));
      li.append(text, button);
      list.appendChild(li);
    }
    if (!layer.features.length) {
      const li = document.createElement("li");
      li.textContent = "没有待审核的异常走访";
      list.appendChild(li);
    }
  }

  function openReview(p) {
    state.reviewing = p;
    $("#review-visit-id").textContent = "#" + p.visit_id;
    const reasons = (p.presence_reasons || []).map((r) => REASONS[r] || r).join("、") || "无";
    const distance = p.presence_distance_m === null || p.presence_distance_m === undefined
      ? "" : `，距住址 ${Math.round(p.presence_distance_m)} 米`;
    $("#review-detail").textContent =
      `${p.area_name}，${countyTime(p.visited_at)}，${CHANNELS[p.channel] || p.channel}；` +
      `位置核验：${reasons}${distance}；当前状态：${REVIEW_STATES[p.review_state] || p.review_state}`;
    $("#review-comment").value = "";
    $("#review-error").textContent = "";
    $("#review-dialog").showModal();
  }

  $("#review-cancel").addEventListener("click", () => $("#review-dialog").close());

  $("#review-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData($("#review-form"));
    const reviewState = form.get("state");
    const comment = form.get("comment").trim();
    if (reviewState !== "approved" && !comment) {
      $("#review-error").textContent = "“有问题”或“退回”请填写审核意见";
      return;
    }
    try {
      await call(`/visits/${state.reviewing.visit_id}/review`, {
        method: "PATCH",
        json: { state: reviewState, comment: comment || null },
      });
      $("#review-dialog").close();
      showStatus(`走访 #${state.reviewing.visit_id} 已审核：${REVIEW_STATES[reviewState]}`);
      await Promise.all([loadFlagged(), loadMap()]);
    } catch (error) {
      $("#review-error").textContent = error.message;
    }
  });

  // ---------------------------------------------------------------- exports

  function fileName(response, fallback) {
    const header = response.headers.get("Content-Disposition") || "";
    const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) return decodeURIComponent(star[1]);
    const plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  document.querySelectorAll("[data-export]").forEach((button) => {
    button.addEventListener("click", async () => {
      const kind = button.dataset.export;
      const format = button.dataset.format;
      showStatus("正在导出…");
      try {
        const path = button.dataset.exportPath || `/exports/${kind}`;
        const response = await call(`${path}?` + query({ format }));
        const blob = await response.blob();
        const url = URL.createObjectURL(blob);
        const a = document.createElement("a");
        a.href = url;
        a.download = fileName(response, `${kind}.${format}`);
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
        showStatus("已导出：" + a.download);
      } catch (error) {
        showError(error);
      }
    });
  });

  // ---------------------------------------------------------------- go

  if (state.accessToken) {
    start().catch(() => signOut());
  }
})();
