/* The outbox: everything recorded on the phone waits here until the server has it.
 *
 * A record gets its client_uuid when it is saved (its key), so sending it again — after a
 * lost answer, a closed app, a reboot — is answered by the server as a replay, never as a
 * second record. Visits go in batches to /visits/batch, then their photos one by one; a
 * patrol, its encounters, their photos, an admission, the patrol's end and its GPS points go
 * to their endpoints in the order they depend on each other; a task done is a PATCH.
 *
 * Each record's `state`: waiting (not yet accepted), sent, refused (the server said no:
 * `reason`; the worker edits it and sends it as a new record), conflict (the same
 * client_uuid is stored with other content). A failure of the network or the server (5xx,
 * 429) is not a state: the record stays waiting and is retried with backoff.
 *
 * A record is sent only under the account that recorded it (`user_id`).
 */
(function (global) {
  "use strict";

  const S = global.FieldStore;
  const BATCH = 50;
  const TRACK_BATCH = 500;
  const MAX_DELAY_S = 600;
  let running = null;
  let again = false;
  let timer = null;
  let delayS = 5; // the next retry after a network failure (doubles, at most MAX_DELAY_S)

  function changed() {
    global.dispatchEvent(new CustomEvent("field:outbox"));
  }

  // The server's refusal in one Chinese line: its field errors (translated), else its detail.
  function reasonOf(error) {
    const flat = global.Doudi.forms.flatten(error.fieldErrors || (error.errors || {}), "");
    const parts = Object.entries(flat).map(([path, messages]) => fieldLabel(path) + "：" + messages.map(global.Doudi.forms.translate).join("；"));
    if (parts.length) return parts.join("；");
    return (error.detail || error.message || "被拒收") + "";
  }

  // "findings.household_size" -> "走访发现 · 家庭人口" from the cached form labels.
  let labelsByName = {};
  function setLabels(form) {
    labelsByName = {};
    const walk = (fields) => {
      for (const f of fields || []) {
        if (f.label) labelsByName[f.name] = f.label;
        walk(f.fields);
        if (f.items) walk(f.items.fields);
      }
    };
    walk(form && form.fields);
  }
  function fieldLabel(path) {
    return path.replace(/^json\./, "").split(".").filter((p) => !/^\d+$/.test(p)).map((p) => labelsByName[p] || p).join(" · ");
  }

  const transient = (e) => e instanceof global.Doudi.Offline || (e instanceof global.Doudi.ApiError && (e.status >= 500 || e.status === 429));

  async function saveRecord(record) {
    record.updated_at = new Date().toISOString();
    await S.put("outbox", record);
  }

  async function refuse(record, error) {
    record.state = error.status === 409 ? "conflict" : "refused";
    record.reason = reasonOf(error);
    await saveRecord(record);
  }

  // --- Visits: in batches ---------------------------------------------------------------
  async function sendVisits(userId) {
    const waiting = (await S.all("outbox")).filter((r) => r.kind === "visit" && r.state === "waiting" && r.user_id === userId);
    waiting.sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (let i = 0; i < waiting.length; i += BATCH) await sendVisitBatch(waiting.slice(i, i + BATCH));
  }

  async function sendVisitBatch(chunk) {
    let answer;
    try {
      answer = await global.Doudi.sendJson("POST", "/visits/batch", { visits: chunk.map((r) => r.body) });
    } catch (e) {
      if (transient(e) || e instanceof global.Doudi.SignedOut || !(e instanceof global.Doudi.ApiError)) throw e;
      // The batch as a whole was refused (too large, malformed): one record is to blame.
      // Sent one by one, the others go and that one is refused with the reason.
      if (chunk.length === 1) return refuse(chunk[0], e);
      for (const record of chunk) await sendVisitBatch([record]);
      return;
    }
    for (const result of answer.results) {
      const record = chunk[result.index];
      if (result.result === "created" || result.result === "duplicate") {
        record.state = "sent";
        record.server_id = result.id;
        record.server = summarizeVisit(result.visit);
        record.reason = null;
        await saveRecord(record);
        await noteVisitOnHousehold(record, result.visit);
        global.dispatchEvent(new CustomEvent("field:visit-sent", { detail: { id: result.id } }));
      } else if (result.status === 409 && /send it again/i.test(result.detail || "")) {
        continue; // stored meanwhile by another request of ours: the next send gets it
      } else {
        record.state = result.status === 409 ? "conflict" : "refused";
        record.reason = reasonOf({ fieldErrors: result.errors, detail: result.detail });
        await saveRecord(record);
      }
    }
    changed();
  }

  function summarizeVisit(visit) {
    if (!visit) return null;
    return {
      id: visit.id,
      household_id: visit.household_id,
      screening_result: visit.screening_result,
      presence: visit.presence || null,
      review_state: visit.review_state,
    };
  }

  async function noteVisitOnHousehold(record, visit) {
    if (!visit || !visit.household_id) return;
    const household = await S.get("households", visit.household_id);
    if (household && (!household.last_visited_at || household.last_visited_at < visit.visited_at)) {
      household.last_visited_at = visit.visited_at;
      await S.put("households", household);
    }
  }

  // --- Photos: after their owner -------------------------------------------------------
  const PHOTO_PATHS = { visit: (id) => "/visits/" + id + "/photos", encounter: (id) => "/encounters/" + id + "/photos" };

  async function sendPhotos(userId, owners) {
    const photos = (await S.all("photos")).filter((p) => p.state === "waiting" && p.user_id === userId);
    photos.sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (const photo of photos) {
      const owner = owners[photo.owner];
      if (!owner) continue;
      if (owner.state === "refused" || owner.state === "conflict") continue; // goes with a resent copy
      if (owner.state !== "sent") continue;
      const body = new FormData();
      body.append("client_uuid", photo.key);
      body.append("file", photo.blob, photo.name || "photo.jpg");
      try {
        const response = await global.Doudi.call(PHOTO_PATHS[photo.owner_kind](owner.server_id), { method: "POST", body });
        const stored = await response.json();
        photo.state = "sent";
        photo.server_id = stored.id;
        photo.blob = null; // the server has it: free the phone's storage
      } catch (e) {
        if (transient(e) || e instanceof global.Doudi.SignedOut) throw e;
        photo.state = e.status === 409 ? "conflict" : "refused";
        photo.reason = reasonOf(e);
      }
      await S.put("photos", photo);
      changed();
    }
  }

  // --- Patrols, encounters, admissions, patrol ends, tasks done: one call each --------------
  const SENDERS = {
    async patrol(record) {
      const patrol = await global.Doudi.sendJson("POST", "/patrols", record.body);
      record.server_id = patrol.id;
    },
    async encounter(record, owners) {
      const patrol = owners[record.parent];
      const encounter = await global.Doudi.sendJson("POST", "/patrols/" + patrol.server_id + "/encounters", record.body);
      record.server_id = encounter.id;
    },
    async admit(record, owners) {
      const encounter = owners[record.parent];
      const resident = await global.Doudi.sendJson("POST", "/residents", Object.assign({}, record.body, { encounter_id: encounter.server_id }));
      record.server_id = resident.id;
    },
    async patrol_end(record, owners) {
      const patrol = owners[record.parent];
      if ((await S.byIndex("points", "patrol", record.parent)).length) return false; // its route first
      await global.Doudi.sendJson("PATCH", "/patrols/" + patrol.server_id, record.body);
      record.server_id = patrol.server_id;
    },
    async task_done(record) {
      await global.Doudi.sendJson("PATCH", "/tasks/" + record.body.task_id, { status: "done", outcome_note: record.body.outcome_note });
      record.server_id = record.body.task_id;
      await S.del("tasks", record.body.task_id);
    },
  };

  async function sendOthers(userId, owners) {
    const records = (await S.all("outbox")).filter((r) => SENDERS[r.kind] && r.state === "waiting" && r.user_id === userId);
    records.sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (const record of records) {
      if (record.parent) {
        const parent = owners[record.parent];
        if (!parent) continue;
        if (parent.state === "refused" || parent.state === "conflict") {
          record.state = "refused";
          record.reason = "所属的记录被拒收，此记录无法发送";
          await saveRecord(record);
          continue;
        }
        if (parent.state !== "sent") continue;
      }
      try {
        if ((await SENDERS[record.kind](record, owners)) === false) continue;
        record.state = "sent";
        record.reason = null;
      } catch (e) {
        if (transient(e) || e instanceof global.Doudi.SignedOut) throw e;
        await refuse(record, e);
        changed();
        continue;
      }
      await saveRecord(record);
      owners[record.key] = record;
      changed();
    }
  }

  // --- GPS points of patrols, in batches -------------------------------------------------
  async function sendPoints(owners) {
    const patrols = Object.values(owners).filter((r) => r.kind === "patrol" && r.state === "sent");
    for (const patrol of patrols) {
      for (;;) {
        const points = await S.firstByIndex("points", "patrol", patrol.key, TRACK_BATCH);
        if (!points.length) break;
        try {
          await global.Doudi.sendJson("POST", "/patrols/" + patrol.server_id + "/track", {
            points: points.map((p) => ({ lon: p.lon, lat: p.lat, recorded_at: p.recorded_at, accuracy_m: p.accuracy_m })),
          });
          await S.delMany("points", points.map((p) => p.id));
        } catch (e) {
          if (transient(e) || e instanceof global.Doudi.SignedOut || !(e instanceof global.Doudi.ApiError)) throw e;
          // A point the server will never take (a clock far off): drop those it names, keep
          // the others for the next batch; the patrol record says so.
          const bad = new Set(Object.keys(e.fieldErrors || {}).map((k) => Number((k.match(/points\.(\d+)/) || [])[1])).filter((n) => !Number.isNaN(n)));
          const drop = bad.size ? points.filter((_p, i) => bad.has(i)) : points;
          await S.delMany("points", drop.map((p) => p.id));
          patrol.track_note = "有 " + drop.length + " 个定位点被服务器拒收：" + reasonOf(e);
          await saveRecord(patrol);
        }
        changed();
      }
    }
  }

  async function flushOnce() {
    const me = await S.meta("me");
    if (!me || !global.Doudi.signedIn()) return "signed-out";
    await sendVisits(me.id);
    const owners = {};
    for (const r of await S.all("outbox")) owners[r.key] = r;
    await sendOthers(me.id, owners);
    await sendPhotos(me.id, owners);
    await sendPoints(owners);
    await sendOthers(me.id, owners); // a patrol's end waits for its points
    return "ok";
  }

  // Send what waits; one run at a time (a call during a run asks for one more run after it).
  function flush() {
    if (running) {
      again = true;
      return running;
    }
    clearTimeout(timer);
    running = (async () => {
      let status;
      do {
        again = false;
        try {
          status = await flushOnce();
          delayS = 5;
        } catch (e) {
          if (e instanceof global.Doudi.SignedOut) status = "signed-out";
          else if (transient(e)) status = "offline";
          else {
            status = "error";
            console.error(e);
          }
        }
      } while (again && status === "ok");
      global.dispatchEvent(new CustomEvent("field:sent", { detail: { status } }));
      if (status === "offline" || status === "error") {
        timer = setTimeout(flush, delayS * 1000);
        delayS = Math.min(delayS * 2, MAX_DELAY_S);
      } else if ((await pendingCount()) > 0 && status === "ok") {
        timer = setTimeout(flush, 30000);
      }
      changed();
      return status;
    })().finally(() => {
      running = null;
    });
    return running;
  }

  // Records the server does not have yet: all but those sent, and those refused that were
  // corrected and sent again as new records.
  const settled = (r) => r.state === "sent" || Boolean(r.replaced_by);

  async function pending() {
    const records = (await S.all("outbox")).filter((r) => !settled(r));
    const photos = (await S.all("photos")).filter((p) => p.state !== "sent");
    const points = await S.all("points");
    return { records, photos, points };
  }

  async function pendingCount() {
    const p = await pending();
    return p.records.filter((r) => r.state === "waiting").length + p.photos.filter((x) => x.state === "waiting").length + p.points.length;
  }

  // Save a record (and the files that go with it, as photos of `ownerKind`) in one
  // transaction: a record is never saved without its photos, nor photos without it.
  async function add(record, files, ownerKind) {
    const me = await S.meta("me");
    const now = new Date().toISOString();
    Object.assign(record, { key: record.key || S.uuid(), user_id: me.id, state: "waiting", created_at: now, updated_at: now });
    const photos = Array.from(files || [], (file) => ({
      key: S.uuid(), owner: record.key, owner_kind: ownerKind, blob: file, name: file.name, type: file.type,
      size: file.size, state: "waiting", user_id: me.id, created_at: now,
    }));
    await S.tx(["outbox", "photos"], "readwrite", (outbox, store) => {
      outbox.put(record);
      for (const photo of photos) store.put(photo);
    });
    changed();
    flush();
    return record;
  }

  // A refused record edited and saved as `newKey`: its photos (never sent) go with the new one.
  async function replaced(oldKey, newKey) {
    const record = await S.get("outbox", oldKey);
    record.replaced_by = newKey;
    await saveRecord(record);
    const photos = await S.byIndex("photos", "owner", oldKey);
    for (const photo of photos) {
      if (photo.state === "sent") continue;
      Object.assign(photo, { owner: newKey, state: "waiting", reason: null });
      await S.put("photos", photo);
    }
    changed();
    flush();
  }

  // A conflict the worker sends again as it is (the server may have been mid-write).
  async function retry(key) {
    const record = await S.get("outbox", key);
    Object.assign(record, { state: "waiting", reason: null });
    await saveRecord(record);
    changed();
    return flush();
  }

  global.addEventListener("online", () => {
    delayS = 5;
    flush();
  });

  global.FieldOutbox = { add, replaced, retry, flush, settled, pending, pendingCount, setLabels };
})(window);
