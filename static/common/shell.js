/* The frame every desk page shares: the header with the pages the caller's role works in,
 * the sign-in form, and signing in again over a page whose sign-in expired (what was typed
 * stays where it was). Needs api.js.
 *
 *   Doudi.shell.mount({ title: "救助站", roles: ["rescue_staff", "admin"], start: async (me) => {...} })
 *
 * The page's HTML has <header id="shell-header"></header> and <main id="app-view" hidden>.
 */
(function (global) {
  "use strict";

  const ROLE_LABELS = { admin: "管理员", supervisor: "督导", outreach_worker: "走访员", rescue_staff: "救助站工作人员" };

  // Every page of the one front end, and who works in it.
  const PAGES = [
    { href: "/", label: "走访督导", roles: ["supervisor", "admin"] },
    { href: "/desk/rescue/", label: "救助站", roles: ["rescue_staff", "admin"] },
    { href: "/desk/matching/", label: "数据比对", roles: ["supervisor", "admin"] },
    { href: "/desk/admin/", label: "系统管理", roles: ["admin"] },
    { href: "/field/", label: "外勤", roles: ["outreach_worker", "rescue_staff"] },
  ];

  const $ = (sel, root) => (root || document).querySelector(sel);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of [].concat(children || [])) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function signInForm(onSignedIn, note) {
    const error = el("p", { class: "error", role: "alert", "data-form-error": true });
    const form = el("form", { class: "card sign-in", id: "login-form" }, [
      el("h2", { text: "登录" }),
      note ? el("p", { class: "muted", text: note }) : null,
      el("label", {}, ["用户名", el("input", { name: "username", id: "username", autocomplete: "username", required: true })]),
      el("label", {}, ["密码", el("input", { name: "password", id: "password", type: "password", autocomplete: "current-password", required: true })]),
      el("button", { type: "submit", id: "login-button", class: "primary", text: "登录" }),
      error,
    ]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        const caller = await global.Doudi.signIn(form.username.value.trim(), form.password.value);
        form.password.value = "";
        await onSignedIn(caller);
      } catch (e) {
        error.textContent = e.message;
      }
    });
    return form;
  }

  function mount(options) {
    const header = $("#shell-header");
    const main = $("#app-view");
    const loginView = el("section", { id: "login-view" });
    let signedInAs = null; // the user whose records the page shows
    main.before(loginView);

    function renderHeader(caller) {
      header.textContent = "";
      const nav = el("nav", { class: "pages", "aria-label": "页面" });
      for (const page of PAGES) {
        if (!caller || !page.roles.includes(caller.role)) continue;
        const here = location.pathname === page.href;
        nav.append(el("a", { href: page.href, "aria-current": here ? "page" : null, text: page.label }));
      }
      header.append(
        el("h1", { text: "兜底 · " + options.title }),
        nav,
        caller
          ? el("div", { id: "who" }, [
              el("span", { id: "who-name", text: caller.display_name + "（" + (ROLE_LABELS[caller.role] || caller.role) + "，" + caller.area.name + "）" }),
              el("button", { type: "button", id: "logout", text: "退出", onclick: signOut }),
            ])
          : null,
      );
    }

    async function signOut() {
      await global.Doudi.signOut();
      location.reload();
    }

    // A temporary password set by an admin (docs/accounts.md): the sign-in serves only to
    // choose one's own, on whichever page the user opened.
    function changeTemporaryPassword(caller) {
      const error = el("p", { class: "error", role: "alert", "data-form-error": true });
      const form = el("form", { class: "card sign-in", id: "password-change-form" }, [
        el("h2", { text: "请设置新密码" }),
        el("p", { class: "muted", text: "管理员为您重置了密码。请先设置您自己的新密码（至少 8 位）。" }),
        el("label", {}, ["临时密码", el("input", { name: "current_password", id: "current-password", type: "password", autocomplete: "current-password", required: true })]),
        el("label", {}, ["新密码", el("input", { name: "new_password", id: "new-password", type: "password", autocomplete: "new-password", minlength: 8, maxlength: 256, required: true })]),
        el("label", {}, ["再输入一次", el("input", { name: "repeat_password", id: "repeat-password", type: "password", autocomplete: "new-password", required: true })]),
        el("button", { type: "submit", id: "password-change-button", class: "primary", text: "保存新密码" }),
        error,
      ]);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        error.textContent = "";
        if (form.new_password.value !== form.repeat_password.value) {
          error.textContent = "两次输入的新密码不一致";
          return;
        }
        try {
          await global.Doudi.sendJson("POST", "/me/password", {
            current_password: form.current_password.value,
            new_password: form.new_password.value,
          });
          await begin(await global.Doudi.me(true));
        } catch (e) {
          if (global.Doudi.forms) global.Doudi.forms.showErrors(form, e);
          else error.textContent = e.message;
        }
      });
      loginView.textContent = "";
      loginView.append(form);
      renderHeader(caller);
    }

    async function begin(caller) {
      if (caller.must_change_password) {
        changeTemporaryPassword(caller);
        return;
      }
      if (!options.roles.includes(caller.role)) {
        const other = PAGES.find((page) => page.roles.includes(caller.role));
        loginView.textContent = "";
        loginView.append(el("div", { class: "card" }, [
          el("p", { text: "此页面供" + options.roles.map((r) => ROLE_LABELS[r]).join("、") + "使用。" }),
          other ? el("a", { href: other.href, text: "前往「" + other.label + "」" }) : null,
          el("button", { type: "button", text: "换个账号登录", onclick: signOut }),
        ]));
        renderHeader(caller);
        return;
      }
      renderHeader(caller);
      loginView.hidden = true;
      main.hidden = false;
      signedInAs = caller.id;
      await options.start(caller);
    }

    // A sign-in that expires mid-work: sign in again in a dialog over the page, then the
    // user presses the button they pressed before (what they typed is still there).
    global.addEventListener("doudi:signed-out", () => {
      if (main.hidden || $("#reauth")) return;
      const dialog = el("dialog", { id: "reauth" });
      // Someone else signing in here sees nothing of the records on screen: the page starts
      // again for them (what was typed belonged to the one who typed it).
      const resume = (caller) => (caller.id === signedInAs ? dialog.close() : location.reload());
      dialog.append(signInForm(resume, "登录已过期。重新登录后，您填写的内容仍在，请再提交一次。"));
      dialog.addEventListener("close", () => dialog.remove());
      document.body.append(dialog);
      dialog.showModal();
    });

    renderHeader(null);
    if (global.Doudi.signedIn()) {
      global.Doudi.me(true).then(begin, (e) => {
        if (!(e instanceof global.Doudi.SignedOut)) loginView.append(el("p", { class: "error", text: e.message }));
        loginView.append(signInForm(begin));
      });
    } else {
      loginView.append(signInForm(begin));
    }
  }

  global.Doudi = Object.assign(global.Doudi || {}, { shell: { mount, el, PAGES, ROLE_LABELS } });
})(window);
