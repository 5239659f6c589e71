/* Forms on every page: a 422's field errors shown next to the field they concern, in
 * Chinese; long text fields show their limit as the user types.
 *
 * A field is found by its `name` (the server's field path, e.g. "findings.household_size"
 * or "members.0.id_number"); an error for a path no field carries goes to the form's
 * `[data-form-error]` element, so nothing the server says is dropped.
 */
(function (global) {
  "use strict";

  // The server's messages are marshmallow's English ones; the common ones read in Chinese.
  const MESSAGES = [
    [/^Missing data for required field\.?$/, "必填"],
    [/^Field may not be null\.?$/, "必填"],
    [/^Shorter than minimum length (\d+)\.?$/, "至少 $1 个字"],
    [/^Longer than maximum length (\d+)\.?$/, "最多 $1 个字"],
    [/^Length must be between (\d+) and (\d+)\.?$/, "长度须在 $1 到 $2 之间"],
    [/^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.?$/, "须在 $1 到 $2 之间"],
    [/^Must be greater than or equal to (\S+)\.?$/, "不能小于 $1"],
    [/^Must be less than or equal to (\S+)\.?$/, "不能大于 $1"],
    [/^Not a valid integer\.?$/, "请填写整数"],
    [/^Not a valid number\.?$/, "请填写数字"],
    [/^Not a valid date\.?$/, "日期格式不对"],
    [/^Not a valid datetime\.?$/, "时间格式不对"],
    [/^Not a valid email address\.?$/, "邮箱格式不对"],
    [/^Must be one of: .*$/, "请从选项中选择"],
    [/^Unknown field\.?$/, "无法识别的项目"],
    [/^Invalid value\.?$/, "内容无效"],
    [/^String does not match expected pattern\.?$/, "格式不对"],
    [/^Invalid input type\.?$/, "内容类型不对"],
    [/^This is not your current password\.?$/, "当前密码不对"],
    // Programme standards (docs/visits.md).
    [/^Overlaps a standard already recorded.*$/, "与已有标准的有效期重叠：请先为那条标准设定截止日期"],
    [/^valid_to is before valid_from\.?$/, "截止日期早于起始日期"],
    // Importing areas from GeoJSON (docs/accounts.md).
    [/^Not UTF-8 text.*$/, "文件不是 UTF-8 编码的文本"],
    [/^Not valid JSON.*$/, "文件不是有效的 JSON"],
    [/^Expected a GeoJSON FeatureCollection\.?$/, "文件应为 GeoJSON FeatureCollection"],
    [/^Expected a non-empty list of features\.?$/, "文件里没有要素"],
    [/^Not a valid GeoJSON Polygon or MultiPolygon\.?$/, "边界不是有效的面（Polygon/MultiPolygon）"],
    [/^The boundary is empty or self-intersecting\.?$/, "边界为空或自相交"],
    [/^Unknown parent code\.?$/, "上级代码不存在，或不在您的辖区内"],
    [/^An area outside your jurisdiction has this code\.?$/, "此代码已被辖区外的区划使用"],
    [/^The code appears twice\.?$/, "代码在文件中重复出现"],
    [/^Required: a new county is made by the CLI\.?$/, "必填（新建县级区划须由系统命令完成）"],
    [/^No such household\.?$/, "该户不存在，或已不在您的辖区"],
    // Uploading a department's list (docs/data-matching.md).
    [/^The file is not (\S+) text \(the source says it is\)\.?$/, "文件不是 $1 编码的文本（数据源规定的编码），请按该编码另存后再上传"],
    [/^The file is not a readable XLSX workbook\.?$/, "文件不是可读取的 XLSX 工作簿"],
    [/^The workbook's sheet cannot be read\.?$/, "工作簿的工作表无法读取"],
    [/^The file is empty\.?$/, "文件是空的"],
    [/^The file has no header row\.?$/, "文件没有表头行"],
    [/^Columns the source maps are not in the file: (.*?)\.?$/, "文件缺少数据源规定的列：$1（请核对表头或数据源的列对应）"],
    [/^The file has a header and no rows\.?$/, "文件只有表头，没有数据行"],
    [/^Send the list as the multipart field file\.?$/, "请选择要上传的名单文件"],
    // A source's mapping and warning rules (docs/data-matching.md, "Warning rules").
    [/^Map the column that holds the person's name\.?$/, "请填写姓名所在的列"],
    [/^Each field maps to a column header \(1 to 100 characters\)\.?$/, "每项的列名须为 1 到 100 个字"],
    [/^A list of rules\.?$/, "预警规则应为一个列表"],
    [/^A rule is an object\.?$/, "每条规则应为一个对象"],
    [/^Lower-case letters, digits and _ \(up to 40\)\.?$/, "规则代码只能用小写字母、数字和下划线（最多 40 个）"],
    [/^Each rule of a source has its own code\.?$/, "规则代码重复"],
    [/^One of (red, orange, yellow)\.?$/, "级别须为 $1 之一"],
    [/^visit or review\.?$/, "处置方式须为 visit（走访）或 review（复核）"],
    [/^Say why, in words a worker reads\.?$/, "请写明预警原因"],
    [/^At least one condition\.?$/, "至少需要一个条件"],
    [/^A condition is an object: fact, op, value\.?$/, "条件应为含 fact、op、value 的对象"],
    [/^One of (registered, .*) or attr\.<column>\.?$/, "条件的 fact 须为 $1 或 attr.<列名>"],
    [/^One of (== .*)\.$/, "比较符须为 $1 之一"],
    [/^A list for op in\.?$/, "比较符为 in 时，value 须为列表"],
    [/^A number, text or true\/false\.?$/, "value 须为数字、文字或 true/false"],
  ];

  function translate(message) {
    for (const [pattern, chinese] of MESSAGES) {
      if (pattern.test(message)) return message.replace(pattern, chinese);
    }
    return message; // already Chinese (the project's own messages) or rare: shown as is
  }

  // Flatten marshmallow's nested error dict into {path: [messages]}.
  function flatten(errors, prefix, out) {
    out = out || {};
    if (Array.isArray(errors)) {
      if (errors.every((e) => typeof e === "string")) {
        out[prefix] = (out[prefix] || []).concat(errors);
        return out;
      }
      errors.forEach((e, i) => flatten(e, prefix ? prefix + "." + i : String(i), out));
      return out;
    }
    if (errors && typeof errors === "object") {
      for (const [key, value] of Object.entries(errors)) {
        flatten(value, prefix ? prefix + "." + key : key, out);
      }
      return out;
    }
    if (errors !== undefined && errors !== null) out[prefix] = (out[prefix] || []).concat([String(errors)]);
    return out;
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((el) => el.remove());
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    const general = form.querySelector("[data-form-error]");
    if (general) general.textContent = "";
  }

  function fieldFor(form, path) {
    // "json." / "query." / "form." / "files." are the locations flask-smorest nests under.
    const bare = path.replace(/^(json|query|form|files|path)\./, "");
    for (const candidate of [bare, path, bare.split(".")[0]]) {
      const el = form.querySelector('[name="' + CSS.escape(candidate) + '"]');
      if (el) return el;
    }
    return null;
  }

  // Show an error (ApiError, SignedOut, Offline, or any Error) on a form. Returns true when
  // every message found its field.
  function showErrors(form, error) {
    clearErrors(form);
    const general = form.querySelector("[data-form-error]");
    const leftover = [];
    const byPath = flatten(error.fieldErrors || {}, "");
    for (const [path, messages] of Object.entries(byPath)) {
      const el = fieldFor(form, path);
      const text = messages.map(translate).join("；");
      if (!el) {
        leftover.push(text);
        continue;
      }
      el.setAttribute("aria-invalid", "true");
      const note = document.createElement("span");
      note.className = "field-error";
      note.setAttribute("role", "alert");
      note.textContent = text;
      (el.closest("label") || el).insertAdjacentElement("afterend", note);
    }
    const summary = [error.message].concat(leftover).filter(Boolean).join("：");
    if (general) general.textContent = summary;
    const first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
    return leftover.length === 0;
  }

  // Every <textarea maxlength> and long <input maxlength> under root shows "12/500".
  function showLimits(root) {
    root.querySelectorAll("textarea[maxlength], input[maxlength][data-count]").forEach((el) => {
      if (el.dataset.counted) return;
      el.dataset.counted = "1";
      const counter = document.createElement("span");
      counter.className = "char-count";
      const update = () => {
        counter.textContent = el.value.length + "/" + el.maxLength;
      };
      el.addEventListener("input", update);
      update();
      el.insertAdjacentElement("afterend", counter);
    });
  }

  // The form's named fields as a plain object (empty strings left out; numbers as numbers
  // where the input is type=number).
  function values(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled || (el.type === "checkbox" && !el.checked) || el.type === "radio" && !el.checked) continue;
      if (el.value === "") continue;
      out[el.name] = el.type === "number" ? Number(el.value) : el.value;
    }
    return out;
  }

  global.Doudi = Object.assign(global.Doudi || {}, {
    forms: { showErrors, clearErrors, showLimits, translate, flatten, values },
  });
})(window);
