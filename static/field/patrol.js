/* Patrol mode (rescue staff, docs/field-app.md): start a patrol in a campaign, record its
 * route while the screen is on, record the people met (with photos and the aid given),
 * admit one to the centre, end the patrol. Everything goes through the outbox: a patrol
 * started in a basement is sent when the network returns, its points after it.
 *
 * The route: watchPosition, and a fix asked for every POLL_MS as well (some phones go
 * quiet while standing still); at most one point per MIN_GAP_MS, each saved in IndexedDB
 * at once and sent in batches. The screen is kept on with a wake lock where the browser
 * has one (Chrome; Safari from iOS 16.4), taken again when the app comes back to the front.
 */
(function (global) {
  "use strict";

  const D = global.Doudi;
  const S = global.FieldStore;
  const O = global.FieldOutbox;
  const F = global.FieldApp;
  const el = F.el;
  const L = (vocabulary, code) => D.labels.label(vocabulary, code);
  const POLL_MS = 15000;
  const MIN_GAP_MS = 5000;
  const SEND_EVERY = 20; // points

  const T = { active: null, watch: null, poll: null, lock: null, lastAt: 0, lastFix: null, recorded: 0, unsentSince: 0 };

  function onFix(position) {
    const c = position.coords;
    T.lastFix = { lon: c.longitude, lat: c.latitude, accuracy: c.accuracy };
    const now = Date.now();
    showStatus();
    if (!T.active || now - T.lastAt < MIN_GAP_MS) return;
    T.lastAt = now;
    S.put("points", {
      patrol: T.active.key,
      lon: c.longitude,
      lat: c.latitude,
      accuracy_m: Math.round(c.accuracy * 10) / 10,
      recorded_at: F.isoNow(new Date(now)),
    }).then(() => {
      T.recorded += 1;
      T.unsentSince += 1;
      if (T.unsentSince >= SEND_EVERY) {
        T.unsentSince = 0;
        O.flush();
      }
      showStatus();
    });
  }

  function onFixError(e) {
    const text = document.getElementById("patrol-gps");
    if (text) text.textContent = "定位失败（" + (e.message || e.code) + "），请到开阔处";
  }

  const GPS = { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 };

  async function keepScreenOn() {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible" || T.lock) return;
    try {
      T.lock = await navigator.wakeLock.request("screen");
      T.lock.addEventListener("release", () => { T.lock = null; showStatus(); });
    } catch (_e) {
      T.lock = null; // refused (battery saver): the route still records while the app is open
    }
    showStatus();
  }

  function track() {
    if (!T.active || T.watch !== null || !navigator.geolocation) return;
    T.watch = navigator.geolocation.watchPosition(onFix, onFixError, GPS);
    T.poll = setInterval(() => navigator.geolocation.getCurrentPosition(onFix, onFixError, GPS), POLL_MS);
    keepScreenOn();
  }

  function stopTracking() {
    if (T.watch !== null) navigator.geolocation.clearWatch(T.watch);
    clearInterval(T.poll);
    T.watch = null;
    T.active = null;
    if (T.lock) T.lock.release().catch(() => {});
    T.lock = null;
  }

  document.addEventListener("visibilitychange", () => { if (T.active) keepScreenOn(); });

  function showStatus() {
    const box = document.getElementById("patrol-status");
    if (!box || !T.active) return;
    const minutes = Math.max(0, Math.floor((Date.now() - new Date(T.active.started_at).getTime()) / 60000));
    box.querySelector("#patrol-time").textContent = "已巡查 " + minutes + " 分钟";
    box.querySelector("#patrol-points").textContent = "本次记录定位点 " + T.recorded + " 个";
    box.querySelector("#patrol-gps").textContent = T.lastFix ? "定位精度 ±" + Math.round(T.lastFix.accuracy) + " 米" : "正在定位…";
    box.querySelector("#patrol-wake").textContent = "wakeLock" in navigator ? (T.lock ? "屏幕常亮：已开启" : "屏幕常亮：未开启（请保持本页在前台）") : "此浏览器不能保持屏幕常亮：请调长自动锁屏时间";
  }

  // The colleagues the worker may tick on the start form (id and name only: rescue staff
  // may not list accounts), kept on the phone so that a patrol starts offline too.
  async function syncTeamCandidates() {
    const PAGE = 500;
    const rows = [];
    for (let page = 1; ; page++) {
      const batch = await D.getJson("/patrols/team-candidates", { page, page_size: PAGE });
      rows.push(...batch);
      if (batch.length < PAGE) break;
    }
    await S.setMeta("team_candidates", rows);
  }

  async function sync() {
    if (F.App.me.role !== "rescue_staff") return;
    await S.setMeta("campaigns", await D.getJson("/campaigns", { page_size: 100 }));
    await syncTeamCandidates();
    await F.syncForm("encounter");
  }

  // The team: the worker (always on it) and the colleagues ticked, at most MAX_TEAM in all
  // (the server's PatrolSchema limit).
  const MAX_TEAM = 50;

  function teamPicker(candidates) {
    const me = F.App.me;
    const others = candidates.filter((c) => c.id !== me.id);
    const box = el("fieldset", { id: "patrol-team" }, [
      el("legend", { text: "同行队员" }),
      el("label", { class: "check" }, [el("input", { type: "checkbox", checked: true, disabled: true }), me.display_name + "（本人）"]),
    ]);
    const list = el("div", { class: "choices" }, others.map((c) => el("label", { class: "check" }, [
      el("input", { type: "checkbox", name: "team", value: c.id }),
      c.display_name,
    ])));
    list.addEventListener("change", () => {
      const full = list.querySelectorAll("input:checked").length >= MAX_TEAM - 1;
      list.querySelectorAll("input:not(:checked)").forEach((input) => { input.disabled = full; });
    });
    box.append(others.length ? list : el("p", { class: "muted", text: "本机还没有同事名单（有网络时打开一次本应用即可下载）；同行队员也可在巡查结束后由站里补录。" }));
    return box;
  }

  F.App.views.patrol = async function () {
    const screen = el("section", { id: "patrol" });
    if (!T.active) {
      const today = F.today();
      const campaigns = ((await S.meta("campaigns")) || []).filter((c) => c.starts_on <= today && today <= c.ends_on);
      const candidates = (await S.meta("team_candidates")) || [];
      const error = el("p", { class: "error", "data-form-error": true, role: "alert" });
      const form = el("form", { id: "patrol-start" }, [
        el("h2", { text: "开始巡查" }),
        el("label", {}, ["所属活动", el("select", { name: "campaign_id", id: "campaign" }, campaigns.map((c) => el("option", { value: c.id, text: c.name })).concat([el("option", { value: "", text: "不属于专项活动" })]))]),
        el("fieldset", {}, [el("legend", { text: "巡查方式" }), el("div", { class: "choices" }, D.labels.choices("patrol_mode").map((c, i) => el("label", { class: "check" }, [el("input", { type: "radio", name: "mode", value: c.value, checked: i === 0 }), c.label])))]),
        teamPicker(candidates),
        error,
        el("button", { type: "submit", class: "primary wide", id: "start-patrol", text: "开始巡查并记录路线" }),
      ]);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const key = S.uuid();
        const campaignId = form.campaign_id.value ? Number(form.campaign_id.value) : null;
        const campaign = campaigns.find((c) => c.id === campaignId);
        const picked = Array.from(form.querySelectorAll('input[name="team"]:checked'), (input) => Number(input.value));
        const team = [F.App.me.id].concat(picked).slice(0, MAX_TEAM);
        const body = { client_uuid: key, campaign_id: campaignId, mode: form.mode.value, started_at: F.isoNow(), team };
        await O.add({ key, kind: "patrol", title: (campaign ? campaign.name + " · " : "") + L("patrol_mode", body.mode), body });
        T.active = { key, started_at: body.started_at, title: campaign ? campaign.name : "" };
        T.recorded = 0;
        await S.setMeta("patrol", T.active);
        track();
        F.render();
      });
      screen.append(form);
      return screen;
    }
    track();
    const active = T.active; // the patrol may end while this renders
    const records = await S.all("outbox");
    const encounters = records.filter((r) => r.kind === "encounter" && r.parent === active.key).sort((a, b) => a.created_at.localeCompare(b.created_at));
    const admitted = new Set(records.filter((r) => r.kind === "admit").map((r) => r.parent));
    screen.append(
      el("h2", { text: "巡查中 " + (active.title || "") }),
      el("div", { class: "card", id: "patrol-status" }, [
        el("div", { class: "big-number", id: "patrol-time" }),
        el("div", { id: "patrol-points" }),
        el("div", { id: "patrol-gps" }),
        el("div", { class: "muted", id: "patrol-wake" }),
      ]),
      el("div", { class: "actions" }, [
        el("button", { type: "button", class: "primary", id: "new-encounter", text: "记录遇见的人", onclick: encounterDialog }),
        el("button", { type: "button", id: "end-patrol", text: "结束巡查", onclick: endPatrol }),
      ]),
      el("h3", { text: "本次遇见（" + encounters.length + "）" }),
      el("ul", { class: "list", id: "encounter-list" }, encounters.map((r) => el("li", { "data-key": r.key }, [
        el("strong", { text: F.shortTime(r.body.occurred_at) + " " + L("encounter_outcome", r.body.outcome) }),
        el("div", { class: "muted", text: [r.body.sex ? L("sex", r.body.sex) : "", r.body.approximate_age ? "约 " + r.body.approximate_age + " 岁" : "", (r.body.aid || []).map((a) => L("aid_kind", a.kind) + "×" + a.quantity).join("、")].filter(Boolean).join("，") }),
        admitted.has(r.key)
          ? el("div", { class: "tag", text: "已登记入站" })
          : el("button", { type: "button", class: "admit", text: "送站（入站登记）", onclick: () => admit(r) }),
      ]))),
    );
    setTimeout(showStatus, 0);
    return screen;
  };

  // Fields the worker fills in; the rest the app sets (time, place) or leaves to the centre
  // (linking a known street person), and `vulnerable` follows from the kinds on the server.
  const ENCOUNTER_FIELDS = ["outcome", "sex", "approximate_age", "condition", "clothing", "language", "vulnerability_kinds", "gave_name", "name", "notes"];

  async function encounterDialog() {
    const patrol = T.active;
    const definition = await S.meta("form:encounter");
    if (!definition) {
      const box = F.dialog([el("p", { class: "error", text: "还没有下载登记表：请在有网络时打开一次本应用。" })]);
      box.append(F.closeButton(box));
      return;
    }
    const byName = {};
    for (const f of definition.fields) byName[f.name] = f;
    const aidDef = byName.aid;
    const quantity = aidDef.items.fields.find((f) => f.name === "quantity");
    const kinds = aidDef.items.fields.find((f) => f.name === "kind").choices;
    const error = el("p", { class: "error", "data-form-error": true, role: "alert" });
    const photos = [];
    const thumbs = el("div", { class: "thumbs" });
    const picker = el("input", { type: "file", id: "encounter-photo", accept: "image/*", capture: "environment", multiple: true });
    picker.addEventListener("change", () => {
      photos.push(...picker.files); // sent as taken
      picker.value = "";
      thumbs.textContent = "";
      for (const file of photos) thumbs.append(el("img", { src: URL.createObjectURL(file), alt: "照片" }));
    });
    const aidBox = el("fieldset", { id: "aid" }, [el("legend", { text: aidDef.label + "（" + quantity.label + "）" })].concat(kinds.map((c) => el("label", { class: "check" }, [
      el("input", { type: "number", name: "aid." + c.value, inputmode: "numeric", step: 1, min: quantity.minimum, max: quantity.maximum, style: "width:96px" }),
      c.label,
    ]))));
    const form = el("form", { id: "encounter-form", novalidate: true }, [el("h2", { text: "记录遇见的人" })]
      .concat(ENCOUNTER_FIELDS.filter((name) => byName[name]).map((name) => F.fieldInput(byName[name], name)))
      .concat([aidBox, el("label", {}, ["照片", picker]), thumbs, error, el("div", { class: "actions" }, [el("button", { type: "submit", class: "primary", id: "save-encounter", text: "保存" })])]));
    D.forms.showLimits(form);
    const box = F.dialog([form]);
    form.querySelector(".actions").append(F.closeButton(box));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = S.uuid();
      const body = { client_uuid: key, occurred_at: F.isoNow() };
      for (const name of ENCOUNTER_FIELDS) {
        if (!byName[name]) continue;
        const value = F.collect(byName[name], name, form);
        if (value !== undefined) body[name] = value;
      }
      const errors = {};
      body.aid = [];
      for (const c of kinds) {
        const text = form["aid." + c.value].value;
        if (text === "" || Number(text) === 0) continue;
        const item = { kind: c.value, quantity: Number(text) };
        const itemErrors = {};
        F.check(quantity, item.quantity, "aid." + c.value, itemErrors);
        Object.assign(errors, itemErrors);
        body.aid.push(item);
      }
      for (const name of ENCOUNTER_FIELDS) if (byName[name]) F.check(byName[name], body[name], name, errors);
      F.checkRules(definition.rules, body, errors, definition.fields);
      let fix = T.lastFix;
      if (!fix && !Object.keys(errors).length) {
        try {
          const p = await F.locate();
          fix = { lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy };
        } catch (e) {
          return D.forms.showErrors(form, { message: "需要定位：" + e.message });
        }
      }
      if (Object.keys(errors).length) return D.forms.showErrors(form, { message: "请检查标红的项目", fieldErrors: errors });
      body.location = { type: "Point", coordinates: [fix.lon, fix.lat] };
      body.accuracy_m = Math.round(fix.accuracy * 10) / 10;
      await O.add({ key, kind: "encounter", parent: patrol.key, title: L("encounter_outcome", body.outcome), body }, photos, "encounter");
      box.close();
      F.render();
    });
  }

  async function admit(encounter) {
    await O.add({ kind: "admit", parent: encounter.key, title: "来自巡查遇见", body: { client_uuid: S.uuid() } });
    F.render();
  }

  async function endPatrol() {
    if (!global.confirm("结束本次巡查？")) return;
    const patrol = T.active;
    await O.add({ kind: "patrol_end", parent: patrol.key, title: patrol.title || "", body: { ended_at: F.isoNow() } });
    stopTracking();
    await S.setMeta("patrol", null);
    F.render();
  }

  // A patrol still going when the app was closed (or the phone rebooted) records on.
  S.meta("patrol").then((active) => {
    if (!active) return;
    T.active = active;
    track();
  });

  global.FieldPatrol = { sync, stop: stopTracking };
})(window);
