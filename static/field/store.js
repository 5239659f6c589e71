/* The field app's storage on the phone: IndexedDB (kept across closing the app and
 * rebooting the phone; photos as Blobs, which Safari stores too).
 *
 *   meta       key -> value: sync cursors, the caller, form definitions, villages
 *   households id -> household (from GET /sync/households)
 *   tasks      id -> task (from GET /sync/tasks)
 *   outbox     key (the record's client_uuid) -> a record to send (docs/field-app.md)
 *   photos     key (the photo's client_uuid) -> {owner, blob, state, …}
 *   points     auto id -> a patrol's GPS point waiting to be sent
 *
 * Every function answers a Promise. Plain ES2017, no module syntax (loaded with <script>).
 */
(function (global) {
  "use strict";

  const NAME = "doudi-field";
  const STORES = {
    meta: { keyPath: "key" },
    households: { keyPath: "id" },
    tasks: { keyPath: "id" },
    outbox: { keyPath: "key" },
    photos: { keyPath: "key", index: "owner" },
    points: { keyPath: "id", autoIncrement: true, index: "patrol" },
  };
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(NAME, 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          for (const [name, spec] of Object.entries(STORES)) {
            if (db.objectStoreNames.contains(name)) continue;
            const store = db.createObjectStore(name, { keyPath: spec.keyPath, autoIncrement: Boolean(spec.autoIncrement) });
            if (spec.index) store.createIndex(spec.index, spec.index);
          }
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return opening;
  }

  function done(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  // Run fn(stores...) in one transaction; resolves with fn's result once it commits.
  async function tx(names, mode, fn) {
    const db = await open();
    names = [].concat(names);
    return new Promise((resolve, reject) => {
      const t = db.transaction(names, mode);
      let result;
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error("transaction aborted"));
      Promise.resolve(fn(...names.map((n) => t.objectStore(n)))).then((value) => {
        result = value;
      }, (error) => {
        try { t.abort(); } catch (_e) { /* already finished */ }
        reject(error);
      });
    });
  }

  const get = (store, key) => tx(store, "readonly", (s) => done(s.get(key)));
  const all = (store) => tx(store, "readonly", (s) => done(s.getAll()));
  const put = (store, value) => tx(store, "readwrite", (s) => done(s.put(value)));
  const del = (store, key) => tx(store, "readwrite", (s) => done(s.delete(key)));
  const clear = (store) => tx(store, "readwrite", (s) => done(s.clear()));
  const byIndex = (store, index, value) => tx(store, "readonly", (s) => done(s.index(index).getAll(value)));

  const count = (store) => tx(store, "readonly", (s) => done(s.count()));

  async function putMany(store, values) {
    return tx(store, "readwrite", (s) => {
      for (const value of values) s.put(value);
    });
  }

  async function delMany(store, keys) {
    return tx(store, "readwrite", (s) => {
      for (const key of keys) s.delete(key);
    });
  }

  async function meta(key) {
    const row = await get("meta", key);
    return row ? row.value : undefined;
  }

  const setMeta = (key, value) => put("meta", { key, value });

  // First `limit` rows of an index value, in key order (a patrol's oldest points first).
  function firstByIndex(store, index, value, limit) {
    return tx(store, "readonly", (s) => done(s.index(index).getAll(value, limit)));
  }

  function uuid() {
    // RFC 4122 version 4 from getRandomValues (randomUUID needs a newer Safari).
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // Ask the browser not to evict the app's data under storage pressure (where supported).
  function persist() {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  }

  global.FieldStore = { open, tx, get, all, count, put, del, clear, byIndex, firstByIndex, putMany, delMany, meta, setMeta, uuid, persist };
})(window);
