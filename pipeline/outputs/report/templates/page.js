(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("summary-data").textContent);
  var crits = S.criteria, reasons = S.reasons, cases = [];
  for (var p = 0; p < S.parts; p++) {  // the summary rows come a range of cases per block
    var rows = JSON.parse(document.getElementById("c-" + p).textContent);
    for (var r = 0; r < rows.length; r++) cases.push(rows[r]);
  }
  var DET = {criteria_met: "criteria met", criteria_not_met: "criteria not met",
             insufficient_documentation: "insufficient documentation"};
  var ST = {met: "met", not_met: "not met", insufficient: "insufficient"};
  var RANK = {met: 0, not_met: 1, insufficient: 2,
              criteria_met: 0, insufficient_documentation: 1, criteria_not_met: 2};
  var ROUTE = {clinical_review: "clinical review", request_documentation: "request documentation", approve: "approve"};
  var ROUTE_RANK = {clinical_review: 0, request_documentation: 1, approve: 2};
  // the work queue first: cases for a clinician, then documentation requests, then approvals
  var state = {det: "", route: "", q: "", key: cases.some(function (c) { return c[6]; }) ? "route" : null, dir: 1,
               page: 0, size: 100};
  var view = [];
  var byId = new Map();
  cases.forEach(function (c, i) { byId.set(c[0], i); });
  var coll = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function rank(s) { return s in RANK ? RANK[s] : 9; }
  function num(s) { var v = parseFloat(s); return isNaN(v) ? -1 : v; }
  function badge(kind, value, names) {
    return el("span", "badge " + kind + "-" + value, (names && names[value]) || value || "\u2014");
  }

  function compare(a, b) {
    var k = state.key, ca = cases[a], cb = cases[b], r = 0;
    if (k === "id") r = coll.compare(ca[0], cb[0]);
    else if (k === "route") r = (ca[6] in ROUTE_RANK ? ROUTE_RANK[ca[6]] : 9) - (cb[6] in ROUTE_RANK ? ROUTE_RANK[cb[6]] : 9);
    else if (k === "rd") r = ca[1] < cb[1] ? -1 : ca[1] > cb[1] ? 1 : 0;
    else if (k === "det") r = rank(ca[2]) - rank(cb[2]);
    else if (k === "missing") r = coll.compare(ca[3], cb[3]);
    else if (typeof k === "number") {
      r = rank(ca[4][k]) - rank(cb[4][k]);
      if (!r) r = num(ca[5][k]) - num(cb[5][k]);
    }
    return r * state.dir || a - b;
  }

  function applyView(keepPage) {
    var q = state.q.trim().toLowerCase();
    view = [];
    for (var i = 0; i < cases.length; i++) {
      var c = cases[i];
      if (state.det && c[2] !== state.det) continue;
      if (state.route && c[6] !== state.route) continue;
      if (q && c[0].toLowerCase().indexOf(q) < 0) continue;
      view.push(i);
    }
    if (state.key !== null) view.sort(compare);
    if (!keepPage) state.page = 0;
    render();
  }

  function caseHref(id) { return "#case-" + encodeURIComponent(id); }

  function row(i) {
    var c = cases[i], tr = el("tr");
    tr.dataset.idx = i;
    var td = el("td"), a = el("a", null, c[0]);
    a.href = caseHref(c[0]);
    a.addEventListener("click", function () {
      if (location.hash === a.hash) openHash();
    });
    td.appendChild(a);
    tr.appendChild(td);
    tr.appendChild(el("td", "nowrap", c[1]));
    tr.appendChild(el("td", "det-" + c[2], DET[c[2]] || c[2]));
    crits.forEach(function (cr, k) {
      if (!cr.scored) return;
      var s = c[4][k], cell = el("td", "st st-" + s, ST[s] || s || "\u2014");
      if (c[5][k]) cell.appendChild(el("span", "v", c[5][k]));
      tr.appendChild(cell);
    });
    tr.appendChild(el("td", null, c[3].split(";").join(", ")));
    var rt = el("td", "route-" + c[6], ROUTE[c[6]] || c[6] || "\u2014");
    if (c[7]) rt.appendChild(el("span", "v", c[7].split(";").join(", ")));
    tr.appendChild(rt);
    return tr;
  }

  function shell(i) {
    var c = cases[i], d = el("details", "card");
    d.id = "case-" + c[0];
    d.dataset.idx = i;
    var s = el("summary");
    s.appendChild(el("span", "pid", c[0]));
    if (c[6]) s.appendChild(badge("route", c[6], ROUTE));
    s.appendChild(badge("det", c[2], DET));
    s.appendChild(el("span", "meta", "review date " + c[1]));
    if (c[3]) s.appendChild(el("span", "meta", "missing: " + c[3].split(";").join(", ")));
    d.appendChild(s);
    d.addEventListener("toggle", function () { if (d.open) build(d); });
    return d;
  }

  function sentence(D, si, hs, he) {
    var s = D.s[si], q = el("blockquote");
    if (hs >= 0 && he > hs) {
      q.append(s.slice(0, hs), el("mark", null, s.slice(hs, he)), s.slice(he));
    } else {
      q.textContent = s;
    }
    return q;
  }

  function source(D, m) {
    var n = D.n[m[2]], parts = ["note " + n[0], n[1]];
    if (m[3]) parts.push("section " + m[3]);
    if (m[5]) parts.push(m[5]);
    var p = el("p", "src", parts.join(" \u00b7 "));
    p.appendChild(document.createTextNode(" "));
    p.appendChild(el("span", "label", "[" + m[4] + "]"));
    return p;
  }

  function build(card) {
    if (card.dataset.built) return;
    card.dataset.built = "1";
    var i = +card.dataset.idx, c = cases[i];
    var D = JSON.parse($("d-" + i).textContent);
    var body = el("div", "card-body");
    if (c[8] || c[7]) {  // why the case is routed as it is, before the evidence
      var why = el("section", "crit route-why");
      why.appendChild(el("h3", null, "Route: " + (ROUTE[c[6]] || c[6])));
      if (c[8]) why.appendChild(el("p", null, c[8]));
      if (c[7]) {
        var ul = el("ul");
        c[7].split(";").forEach(function (r) { ul.appendChild(el("li", null, r.replace(":", ": ").replace(/_/g, " "))); });
        why.appendChild(ul);
      }
      body.appendChild(why);
    }
    crits.forEach(function (cr, k) {
      var mentions = D.e.filter(function (m) { return m[0] === k; });
      if (!cr.scored && !mentions.length) return;
      var st = c[4][k] || "", sec = el("section", "crit st-" + st);  // none for a criterion only in the evidence
      var h = el("h3");
      h.append(badge("st", st, ST), " " + cr.label);
      sec.appendChild(h);
      var vals = (D.v[k] || []).map(function (v, j) { return [cr.fields[j], v]; })
        .filter(function (f) { return f[1]; });
      if (vals.length) {
        var p = el("p", "vals");
        vals.forEach(function (f, j) {
          if (j) p.append(" \u00b7 ");
          p.append(f[0] + " ", el("b", null, f[1]));
        });
        sec.appendChild(p);
      }
      sec.appendChild(el("p", "req", "Policy: " + (cr.req || "threshold not available") +
                               (D.w[k] ? " (" + D.w[k] + ")" : "")));
      var used = [], unused = [];
      mentions.forEach(function (m) { (m[1] ? used : unused).push(m); });
      if (!used.length) sec.appendChild(el("p", "none", "No mention was used for this criterion."));
      used.forEach(function (m) {
        var f = el("div", "ev");
        f.appendChild(sentence(D, m[6], m[7], m[8]));
        f.appendChild(source(D, m));
        sec.appendChild(f);
      });
      if (unused.length) {
        var u = el("details", "unused");
        u.appendChild(el("summary", null, unused.length + (unused.length === 1 ? " mention" : " mentions") +
                                          " found but not used"));
        var ul = el("ul");
        unused.forEach(function (m) {
          var li = el("li");
          li.appendChild(el("span", "why", reasons[m[9]] || "not used"));
          li.appendChild(sentence(D, m[6], m[7], m[8]));
          li.appendChild(source(D, m));
          ul.appendChild(li);
        });
        u.appendChild(ul);
        sec.appendChild(u);
      }
      body.appendChild(sec);
    });
    var back = el("a", "back", "\u2191 back to the summary");
    back.href = "#summary";
    body.appendChild(back);
    card.appendChild(body);
  }

  function render() {
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    if (state.page >= pages) state.page = pages - 1;
    var from = state.page * state.size, to = Math.min(view.length, from + state.size);
    var rows = document.createDocumentFragment(), cards = document.createDocumentFragment();
    for (var j = from; j < to; j++) {
      rows.appendChild(row(view[j]));
      cards.appendChild(shell(view[j]));
    }
    $("summary-body").replaceChildren(rows);
    $("cards").replaceChildren(cards);
    var total = cases.length;
    $("shown").textContent = view.length ? "Showing " + (from + 1) + "\u2013" + to + " of " + view.length +
      " case" + (view.length === 1 ? "" : "s") + (view.length < total ? " (" + total + " in all)" : "") :
      (total ? "No case matches." : "No cases in this run.");
    $("page-of").textContent = "page " + (state.page + 1) + " of " + pages;
    $("first").disabled = $("prev").disabled = state.page === 0;
    $("next").disabled = $("last").disabled = state.page >= pages - 1;
    document.querySelectorAll("#summary thead th").forEach(function (th) {
      var k = th.dataset.key, key = /^\d+$/.test(k) ? +k : k;
      if (key === state.key) th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
  }

  function openHash() {
    var h;
    try { h = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    if (h.indexOf("case-") !== 0) return;
    var i = byId.get(h.slice(5));
    if (i === undefined) return;
    var pos = view.indexOf(i);
    if (pos < 0) {
      state.det = ""; state.route = ""; state.q = "";
      $("filter-det").value = ""; $("filter-route").value = ""; $("filter-id").value = "";
      applyView(false);
      pos = view.indexOf(i);
    }
    var page = Math.floor(pos / state.size);
    if (page !== state.page) { state.page = page; render(); }
    var card = document.getElementById(h);
    if (!card) return;
    build(card);
    card.open = true;
    card.scrollIntoView({block: "start"});
  }

  // controls
  var rsel = $("filter-route"), rcounts = {};
  cases.forEach(function (c) { if (c[6]) rcounts[c[6]] = (rcounts[c[6]] || 0) + 1; });
  rsel.appendChild(el("option", null, "all (" + cases.length + ")")).value = "";
  ["clinical_review", "request_documentation", "approve"].filter(function (r) { return rcounts[r]; })
    .forEach(function (r) { rsel.appendChild(el("option", null, ROUTE[r] + " (" + rcounts[r] + ")")).value = r; });
  rsel.addEventListener("change", function () { state.route = rsel.value; applyView(false); });
  var sel = $("filter-det"), counts = {};
  cases.forEach(function (c) { counts[c[2]] = (counts[c[2]] || 0) + 1; });
  sel.appendChild(el("option", null, "all (" + cases.length + ")")).value = "";
  ["criteria_met", "insufficient_documentation", "criteria_not_met"].concat(Object.keys(counts))
    .filter(function (d, j, all) { return counts[d] && all.indexOf(d) === j; })
    .forEach(function (d) { sel.appendChild(el("option", null, (DET[d] || d) + " (" + counts[d] + ")")).value = d; });
  sel.addEventListener("change", function () { state.det = sel.value; applyView(false); });
  $("filter-id").addEventListener("input", function (e) { state.q = e.target.value; applyView(false); });
  $("page-size").addEventListener("change", function (e) { state.size = +e.target.value; applyView(false); });
  $("first").addEventListener("click", function () { state.page = 0; render(); });
  $("prev").addEventListener("click", function () { state.page--; render(); });
  $("next").addEventListener("click", function () { state.page++; render(); });
  $("last").addEventListener("click", function () { state.page = 1e9; render(); });
  $("expand").addEventListener("click", function () {
    document.querySelectorAll("#cards > details").forEach(function (d) { build(d); d.open = true; });
  });
  $("collapse").addEventListener("click", function () {
    document.querySelectorAll("#cards > details").forEach(function (d) { d.open = false; });
  });
  document.querySelectorAll("#summary thead th").forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var k = th.dataset.key, key = /^\d+$/.test(k) ? +k : k;
      if (state.key === key) state.dir = -state.dir; else { state.key = key; state.dir = 1; }
      applyView(true);
    });
  });
  window.addEventListener("hashchange", openHash);
  applyView(false);
  if (location.hash) openHash();
  document.body.dataset.ready = "1";
})();
