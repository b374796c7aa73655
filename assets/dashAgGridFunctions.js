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

dagfuncs.kuzetStatus = function (params) {
  var labels = { new: "НОВОЕ", acknowledged: "принято", dispatched: "наряд направлен",
                 on_scene: "на месте", on_hold: "отложено", transferred: "ПЕРЕДАНО" };
  return labels[params.value] || params.value;
};

// "2 мин назад" from an ISO time; a camera never seen says so instead of looking alive.
dagfuncs.kuzetAgo = function (params) {
  if (!params.value) { return "никогда · never"; }
  var s = Math.max(0, Math.floor((Date.now() - Date.parse(params.value)) / 1000));
  if (s < 60) { return s + " с назад"; }
  if (s < 3600) { return Math.floor(s / 60) + " мин назад"; }
  if (s < 86400) { return Math.floor(s / 3600) + " ч назад"; }
  return Math.floor(s / 86400) + " дн назад";
};

// "03.12 14:05" in Almaty time, for the archive.
var kuzetLocalFormat = new Intl.DateTimeFormat("ru-RU", {
  timeZone: "Asia/Almaty", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
  hour12: false
});
dagfuncs.kuzetLocalTime = function (params) {
  return params.value ? kuzetLocalFormat.format(new Date(params.value)) : "";
};

// The queue's time column: time of day in Almaty, then the age ("14:32 · 05:10").
var kuzetClockFormat = new Intl.DateTimeFormat("ru-RU", {
  timeZone: "Asia/Almaty", hour: "2-digit", minute: "2-digit", hour12: false
});
dagfuncs.kuzetClockAge = function (params) {
  if (!params.value) { return ""; }
  return kuzetClockFormat.format(new Date(params.value)) + " · " + dagfuncs.kuzetAge(params);
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

// The units panel's status: the words the wall's legend uses (its data-palette).
dagfuncs.kuzetUnitStatus = function (params) {
  var map = document.querySelector(".wall-map[data-palette]");
  var labels = {};
  try { labels = JSON.parse(map.getAttribute("data-palette")).unit_text || {}; } catch (e) { /* no wall map */ }
  return labels[params.value] || params.value;
};
