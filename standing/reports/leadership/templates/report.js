"use strict";
// The findings table: filter, sort, search and page over rows embedded as JSON.
// Data reaches the page only through textContent and option values, never as markup.
(function () {
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var PAGE = 50;
  var F = data.findings, ids = data.identities, rules = data.rules;
  var SEV = 0, RULE = 1, WHO = 2, RISK = 3, MSG = 4, SUBJECT = 5, WAIVED = 6, CITED = 8;
  var state = { sort: "severity", dir: -1, page: 0, query: "", severity: "", provider: "", rule: "" };
  var visible = [], haystack = null;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function providerOf(row) { return data.providers[ids[row[WHO]][2]]; }
  function accountOf(row) { return data.accounts[ids[row[WHO]][3]]; }
  function subjectOf(row) { return row[SUBJECT] < 0 ? ids[row[WHO]][0] : data.subjects[row[SUBJECT]]; }

  var keys = {
    severity: function (r) { return 4 - r[SEV]; },
    risk: function (r) { return r[RISK]; },
    identity: function (r) { return ids[r[WHO]][1].toLowerCase(); },
    provider: function (r) { return providerOf(r); },
    account: function (r) { return accountOf(r); },
    rule: function (r) { return rules[r[RULE]][0]; },
    message: function (r) { return r[MSG].toLowerCase(); }
  };

  function fill(select, values, label) {
    values.forEach(function (value, index) {
      var option = el("option", label ? label(value) : value);
      option.value = String(index);
      select.appendChild(option);
    });
  }

  function buildHaystack() {
    haystack = new Array(F.length);
    for (var i = 0; i < F.length; i++) {
      var r = F[i], who = ids[r[WHO]];
      haystack[i] = [who[1], who[0], accountOf(r), rules[r[RULE]][0], rules[r[RULE]][1], r[MSG], subjectOf(r)]
        .join("\u0001").toLowerCase();
    }
  }

  function apply() {
    var q = state.query.trim().toLowerCase();
    if (q && !haystack) buildHaystack();
    var sev = state.severity === "" ? -1 : Number(state.severity);
    var rule = state.rule === "" ? -1 : Number(state.rule);
    var provider = state.provider === "" ? null : data.providers[Number(state.provider)];
    visible = [];
    for (var i = 0; i < F.length; i++) {
      var r = F[i];
      if (sev >= 0 && r[SEV] !== sev) continue;
      if (rule >= 0 && r[RULE] !== rule) continue;
      if (provider !== null && providerOf(r) !== provider) continue;
      if (q && haystack[i].indexOf(q) < 0) continue;
      visible.push(i);
    }
    var key = keys[state.sort], dir = state.dir;
    var cache = new Array(F.length);
    visible.forEach(function (i) { cache[i] = key(F[i]); });
    visible.sort(function (a, b) {
      var x = cache[a], y = cache[b];
      if (x < y) return -dir;
      if (x > y) return dir;
      return F[b][RISK] - F[a][RISK] || a - b;
    });
    state.page = 0;
    render();
  }

  function render() {
    var body = document.getElementById("findings-body");
    var rows = document.createDocumentFragment();
    var pages = Math.max(1, Math.ceil(visible.length / PAGE));
    var start = state.page * PAGE;
    visible.slice(start, start + PAGE).forEach(function (i) {
      var r = F[i], tr = el("tr");
      tr.dataset.row = String(i);
      var sev = el("td"); sev.appendChild(el("span", data.severities[r[SEV]], "sev sev-" + data.severities[r[SEV]]));
      if (r[WAIVED]) sev.appendChild(el("span", " waived", "muted small"));
      tr.appendChild(sev);
      tr.appendChild(el("td", r[RISK] < 0 ? "" : r[RISK], "num"));
      tr.appendChild(el("td", ids[r[WHO]][1]));
      tr.appendChild(el("td", providerOf(r)));
      tr.appendChild(el("td", accountOf(r)));
      tr.appendChild(el("td", rules[r[RULE]][0]));
      tr.appendChild(el("td", r[MSG]));
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
    document.getElementById("shown").textContent =
      visible.length.toLocaleString("en") + " of " + F.length.toLocaleString("en") + " findings";
    document.getElementById("page").textContent = "page " + (state.page + 1) + " of " + pages;
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = state.page >= pages - 1;
  }

  function showIdentity(index) {
    var who = ids[index];
    var panel = document.getElementById("detail");
    document.getElementById("detail-name").textContent = who[1];
    document.getElementById("detail-id").textContent =
      who[0] + " · " + data.providers[who[2]] + " · " + data.accounts[who[3]];
    // a count of zero identities says nothing worth printing: only what it reaches is shown
    var parts = [];
    if (who[5]) parts.push("Reaches admin");
    if (who[4]) parts.push("can become " + who[4] + " other " + (who[4] === 1 ? "identity" : "identities") +
      (who[6].length ? " in " + who[6].join(", ") : ""));
    if (who[7].length) parts.push("reads " + who[7].join(", "));
    who[9].forEach(function (line) { parts.push(line); });  // compute: runs as it, or it runs code as
    var blast = parts.length ? parts.join("; ") + "." : "Its own grants only.";
    blast = blast.charAt(0).toUpperCase() + blast.slice(1);
    document.getElementById("detail-blast").textContent = blast;
    var path = document.getElementById("detail-path");
    path.replaceChildren();
    if (who[8].length) {
      var line = el("div", null, "path");
      line.appendChild(el("span", who[8][0][0], "node"));
      who[8].forEach(function (hop, n) {
        line.appendChild(el("span", hop[2] + " →", "edge"));
        line.appendChild(el("span", hop[1], n === who[8].length - 1 ? "node admin" : "node"));
      });
      path.appendChild(el("h3", "Escalation path"));
      path.appendChild(line);
    }
    var list = document.getElementById("detail-findings");
    list.replaceChildren();
    for (var i = 0; i < F.length; i++) {
      if (F[i][WHO] !== index) continue;
      var item = el("li");
      item.appendChild(el("span", data.severities[F[i][SEV]], "sev sev-" + data.severities[F[i][SEV]]));
      item.appendChild(el("span", " " + rules[F[i][RULE]][0] + ": " + F[i][MSG]));
      var cited = data.frameworks[F[i][CITED]];  // this finding's own cloud's controls
      if (cited) item.appendChild(el("span", " (" + cited + ")", "muted small"));
      list.appendChild(item);
    }
    panel.hidden = false;
    panel.scrollIntoView({ block: "nearest" });
  }

  var byId = {};
  ids.forEach(function (who, index) { byId[who[0]] = index; });

  fill(document.getElementById("filter-severity"), data.severities);
  fill(document.getElementById("filter-provider"), data.providers);
  fill(document.getElementById("filter-rule"), rules, function (r) { return r[0]; });
  ["severity", "provider", "rule"].forEach(function (name) {
    document.getElementById("filter-" + name).addEventListener("change", function (event) {
      state[name] = event.target.value; apply();
    });
  });
  var timer = null;
  document.getElementById("search").addEventListener("input", function (event) {
    state.query = event.target.value;
    clearTimeout(timer);
    timer = setTimeout(apply, F.length > 5000 ? 150 : 0);
  });
  document.querySelectorAll("#findings-table th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () {
      var column = th.dataset.sort;
      state.dir = state.sort === column ? -state.dir : (column === "severity" || column === "risk" ? -1 : 1);
      state.sort = column;
      document.querySelectorAll("#findings-table th[data-sort]").forEach(function (other) {
        other.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      apply();
    });
  });
  document.getElementById("prev").addEventListener("click", function () { state.page--; render(); });
  document.getElementById("next").addEventListener("click", function () { state.page++; render(); });
  document.getElementById("findings-body").addEventListener("click", function (event) {
    var tr = event.target.closest("tr");
    if (tr) showIdentity(F[Number(tr.dataset.row)][WHO]);
  });
  document.querySelectorAll("button[data-identity]").forEach(function (button) {
    button.addEventListener("click", function () {
      var index = byId[button.dataset.identity];
      if (index !== undefined) showIdentity(index);
    });
  });

  apply();
  performance.mark("table-rendered");
  document.body.dataset.ready = "true";
})();
