// Value formatters used by the wall queue's column definitions (dash-ag-grid looks them up here).
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

// Now, or on the replay page the moment its playhead stands at (ages as the wall showed them then).
function kuzetNow() {
  var replay = document.querySelector(".replay[data-playhead]");
  return replay ? Number(replay.dataset.playhead) : Date.now();
}

dagfuncs.kuzetAge = function (params) {
  if (!params.value) { return ""; }
  var seconds = Math.max(0, Math.floor((kuzetNow() - Date.parse(params.value)) / 1000));
  var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  var mm = (m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
  return h > 0 ? h + ":" + mm + ":" + ss : mm + ":" + ss;
};

// Late against the department's targets: unacknowledged past 30 s, not dispatched past 60 s.
dagfuncs.kuzetLate = function (params) {
  if (!params.data) { return false; }
  var age = (kuzetNow() - Date.parse(params.data.created_at)) / 1000;
  var wall = document.querySelector(".wall");
  var targets = { ack: Number((wall && wall.dataset.ackTarget) || 30),
                  dispatch: Number((wall && wall.dataset.dispatchTarget) || 60) };
  if (params.data.status === "new" || params.data.status === "transferred") { return age > targets.ack; }
  if (params.data.status === "acknowledged") { return age > targets.dispatch; }
  return false;
};

// An incident's status as people call it (services/i18n/terms.py, in the page's language); rows carry the code.
dagfuncs.kuzetStatus = function (params) {
  return window.kuzetTerm("status", params.value);
};

// A stored code of any kind named from the catalogue: kuzetTerm('type', params.value) in a column definition.
dagfuncs.kuzetTerm = function (kind, code) {
  return window.kuzetTerm(kind, code);
};

// "2 min ago" from an ISO time; a camera never seen says so instead of looking alive.
dagfuncs.kuzetAgo = function (params) {
  if (!params.value) { return kuzetT("never"); }
  var s = Math.max(0, Math.floor((Date.now() - Date.parse(params.value)) / 1000));
  if (s < 60) { return kuzetT("%(n)s s ago", { n: s }); }
  if (s < 3600) { return kuzetT("%(n)s min ago", { n: Math.floor(s / 60) }); }
  if (s < 86400) { return kuzetT("%(n)s h ago", { n: Math.floor(s / 3600) }); }
  return kuzetT("%(n)s d ago", { n: Math.floor(s / 86400) });
};

// "03.12.2026 14:05" in Almaty time, as the page's language writes it, for the archive.
var kuzetLocalFormats = {};
dagfuncs.kuzetLocalTime = function (params) {
  if (!params.value) { return ""; }
  var lang = window.kuzetLang();
  kuzetLocalFormats[lang] = kuzetLocalFormats[lang] || new Intl.DateTimeFormat(lang, {
    timeZone: "Asia/Almaty", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23"
  });
  return kuzetLocalFormats[lang].format(new Date(params.value));
};

// The queue's time column: time of day in Almaty, then the age ("14:32 · 05:10").
dagfuncs.kuzetClockAge = function (params) {
  if (!params.value) { return ""; }
  return window.kuzetTime(params.value, false) + " · " + dagfuncs.kuzetAge(params);
};

// A city wall's department chips filter the queue (none chosen: every department).
// The wall queue's own filters (wall.js keeps them): departments (a city wall's chips), types, statuses.
function kuzetQueueFilters() {
  var wall = window.kuzetWall || {};
  return [["department_id", wall.chosen || []], ["type", wall.types || []], ["status", wall.statuses || []]];
}
dagfuncs.kuzetQueueFiltered = function () {
  return kuzetQueueFilters().some(function (f) { return f[1].length > 0; });
};
dagfuncs.kuzetQueuePasses = function (params) {
  return !!params.data && kuzetQueueFilters().every(function (f) {
    return !f[1].length || f[1].indexOf(params.data[f[0]]) >= 0;
  });
};

// The city wall's department column: the short name the wall lists in its data-department-names.
dagfuncs.kuzetDepartment = function (params) {
  var wall = document.querySelector(".wall[data-department-names]");
  var names = {};
  try { names = JSON.parse(wall.getAttribute("data-department-names")); } catch (e) { /* one department's wall */ }
  return names[String(params.value)] || String(params.value || "");
};

// The units panel's status: the words the wall's legend uses (the catalogue's unit terms).
dagfuncs.kuzetUnitStatus = function (params) {
  return window.kuzetTerm("unit", params.value);
};
