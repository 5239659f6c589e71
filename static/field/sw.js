/* The field app's service worker (scope /field/): keeps the app shell on the phone so the
 * app opens with no network. Served by api/field/app_shell.py, which writes in the shell's
 * file list and VERSION, a hash of those files: any change to them is a new worker, which
 * caches the new shell, takes over and drops the old cache, so the next load runs it.
 * Data never passes through here: API calls go to the network (the app keeps its data in
 * IndexedDB), and nothing but the shell is cached.
 */
"use strict";

const VERSION = "__VERSION__";
const CACHE = "doudi-field-" + VERSION;
const SHELL = [
  "__SHELL__"
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // "reload": past the HTTP cache, so the files are the ones this version hashed.
      await cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("doudi-field-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const shellUrl = request.mode === "navigate" && url.pathname.startsWith("/field/") ? "/field/" : url.pathname;
  if (!SHELL.includes(shellUrl)) return; // the API and everything else: the network
  event.respondWith(
    (async () => {
      const cached = await caches.match(shellUrl, { cacheName: CACHE });
      if (cached) return cached;
      return fetch(request);
    })(),
  );
});
