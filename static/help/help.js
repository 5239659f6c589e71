/* The public help form. Plain ES5 and XMLHttpRequest, so it runs in WeChat's and old
   phones' browsers; no framework, no CDN. It talks to /api/v1/help only. */
(function () {
  "use strict";
  var API = "/api/v1/help";
  var STATUS_TEXT = { received: "已受理", assigned: "已分派工作人员", visited: "已联系走访", closed: "已办结" };

  function $(id) { return document.getElementById(id); }

  function send(method, path, body, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, API + path);
    xhr.setRequestHeader("Accept", "application/json");
    if (body) { xhr.setRequestHeader("Content-Type", "application/json"); }
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) { return; }
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      done(xhr.status, data);
    };
    xhr.send(body ? JSON.stringify(body) : null);
  }

  function show(el, text) { el.textContent = text; el.hidden = !text; }

  function problemText(status, data) {
    if (status === 429) { return "提交或查询过于频繁，请稍后再试，或拨打民政求助热线。"; }
    if (status === 413) { return "填写的内容太长，请简短一些。"; }
    if (status === 0) { return "网络不通，请检查网络后再试。"; }
    if (status === 422 && data && data.errors) {
      var names = { requester_phone: "手机号", description: "困难情况", requester_name: "姓名",
        address: "地址", subject_name: "姓名", area_id: "所在地" };
      var fields = [];
      for (var key in data.errors) {
        if (Object.prototype.hasOwnProperty.call(data.errors, key)) { fields.push(names[key] || key); }
      }
      return "请检查：" + fields.join("、");
    }
    return "暂时无法提交，请稍后再试，或拨打民政求助热线。";
  }

  function tab(which) {
    var asking = which === "ask";
    $("tab-ask").className = asking ? "on" : "";
    $("tab-status").className = asking ? "" : "on";
    $("ask").hidden = !asking;
    $("done").hidden = true;
    $("status").hidden = asking;
  }

  // Places: towns, and the villages of the chosen town.
  var places = [];
  function fillVillages() {
    var town = $("town").value;
    var select = $("village");
    select.length = 1;
    for (var i = 0; i < places.length; i++) {
      var p = places[i];
      if (town && p.level === "village" && String(p.parent_id) === town) {
        select.options[select.options.length] = new Option(p.name, p.id);
      }
    }
  }
  send("GET", "/areas", null, function (status, data) {
    if (status !== 200 || !data) { return; }
    places = data;
    for (var i = 0; i < places.length; i++) {
      if (places[i].level === "town") {
        $("town").options[$("town").options.length] = new Option(places[i].name, places[i].id);
      }
    }
  });
  $("town").onchange = fillVillages;

  function aboutOther() {
    var radios = document.getElementsByName("about");
    for (var i = 0; i < radios.length; i++) { if (radios[i].checked) { return radios[i].value === "other"; } }
    return false;
  }
  var aboutRadios = document.getElementsByName("about");
  for (var r = 0; r < aboutRadios.length; r++) {
    aboutRadios[r].onchange = function () { $("other-box").hidden = !aboutOther(); };
  }

  function text(id) {
    var v = $(id).value.replace(/^\s+|\s+$/g, "");
    return v || null;
  }

  $("ask").onsubmit = function (event) {
    event.preventDefault();
    var error = $("ask-error");
    var phone = text("phone");
    var description = text("description");
    if (!phone || !/^[0-9 +-]{7,20}$/.test(phone)) { show(error, "请填写正确的手机号。"); return; }
    if (!description) { show(error, "请说明遇到了什么困难。"); return; }
    var reasons = [];
    var boxes = document.getElementsByName("urgent_reasons");
    for (var i = 0; i < boxes.length; i++) { if (boxes[i].checked) { reasons.push(boxes[i].value); } }
    var other = aboutOther();
    var area = $("village").value || $("town").value;
    var body = {
      requester_phone: phone,
      requester_name: text("name"),
      about: other ? "other" : "self",
      subject_name: other ? text("subject") : null,
      about_street_person: other && $("street").checked,
      address: text("address"),
      description: description,
      urgency: reasons.length ? "urgent" : "normal",
      urgent_reasons: reasons
    };
    if (area) { body.area_id = parseInt(area, 10); }
    show(error, "");
    $("submit").disabled = true;
    send("POST", "/requests", body, function (status, data) {
      $("submit").disabled = false;
      if (status === 201 && data) {
        $("code").textContent = data.tracking_code;
        $("lookup-code").value = data.tracking_code;
        $("lookup-last4").value = phone.replace(/\D/g, "").slice(-4);
        $("ask").hidden = true;
        $("done").hidden = false;
        $("ask").reset();
        return;
      }
      show(error, problemText(status, data));
    });
  };

  $("status").onsubmit = function (event) {
    event.preventDefault();
    var error = $("status-error");
    var code = text("lookup-code");
    var last4 = text("lookup-last4");
    $("result").hidden = true;
    if (!code || !last4 || !/^[0-9]{4}$/.test(last4)) { show(error, "请填写查询码和手机号后四位。"); return; }
    show(error, "");
    send("POST", "/status", { tracking_code: code, phone_last4: last4 }, function (status, data) {
      if (status === 200 && data) {
        $("r-status").textContent = STATUS_TEXT[data.status] || data.status;
        $("r-received").textContent = data.received_on || "—";
        $("r-assigned").textContent = data.assigned_on || "—";
        $("r-visited").textContent = data.visited_on || "—";
        $("r-closed").textContent = data.closed_on || "—";
        $("result").hidden = false;
        return;
      }
      show(error, status === 404 ? "没有查到，请核对查询码和手机号后四位。" : problemText(status, data));
    });
  };

  $("tab-ask").onclick = function () { tab("ask"); };
  $("tab-status").onclick = function () { tab("status"); };
  $("go-status").onclick = function () { tab("status"); };
})();
