// tlsrpt dashboard: fetches /api/summary and /api/failures with the filters
// from the page URL and draws the timeline (inline SVG) and the tables.
// Every string from a report is untrusted (RFC 8460 section 7): it is only
// ever put into the page with textContent / createTextNode, never as HTML.
'use strict';

var SVG = 'http://www.w3.org/2000/svg';

function el(tag, attrs, text) {
  var e = document.createElement(tag);
  if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function svg(tag, attrs) {
  var e = document.createElementNS(SVG, tag);
  Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
  return e;
}

function fmt(n) { return Number(n || 0).toLocaleString('en-US'); }

function rate(ok, bad) {
  var t = Number(ok || 0) + Number(bad || 0);
  return t ? (100 * bad / t).toFixed(bad && bad * 1000 < t ? 2 : 1) + ' %' : '–';
}

function day(t) { return t ? new Date(t * 1000).toISOString().slice(0, 10) : ''; }

// The filters: from the page URL (so a view can be bookmarked) to API query.
function filters() {
  var p = new URLSearchParams(window.location.search), q = new URLSearchParams();
  var period = p.get('period') || 'all';
  if (p.get('domain')) q.set('domain', p.get('domain'));
  if (period === 'custom') {
    if (p.get('since')) q.set('since', p.get('since'));
    if (p.get('until')) q.set('until', p.get('until'));
  } else if (period !== 'all' && /^[0-9]+$/.test(period)) {
    // the last N UTC days, today included: whole days, as reports are
    // counted by the day they start (the server reads whole days from its
    // roll-ups; a period starting mid-day would read every report row)
    var today = Math.floor(Date.now() / 86400000);
    q.set('since', String((today - Number(period) + 1) * 86400));
  }
  return { page: p, period: period, api: q.toString() };
}

// The domain filter's values: '' is every domain, NO_DOMAIN the policies
// that name no policy-domain (the API lists their domain as '' and takes
// domain=- for them; no domain name is '-').
var NO_DOMAIN = '-';

function domainLabel(v) { return v === NO_DOMAIN ? '(no policy domain)' : v; }

function fillForm(f, domains) {
  var sel = document.getElementById('f-domain'), cur = f.page.get('domain') || '';
  var seen = Object.create(null);
  (domains || []).map(function (d) { return d === '' ? NO_DOMAIN : d; })
    .concat(cur ? [cur] : []).forEach(function (v) {
      if (seen[v]) return;
      seen[v] = 1;
      var o = el('option', { value: v }, domainLabel(v));
      if (v === cur) o.defaultSelected = o.selected = true;  // the attribute too: shown in the DOM
      sel.appendChild(o);
    });
  document.getElementById('f-period').value = f.period;
  document.getElementById('f-since').value = f.page.get('since') || '';
  document.getElementById('f-until').value = f.page.get('until') || '';
  document.getElementById('f-since').addEventListener('change', customPeriod);
  document.getElementById('f-until').addEventListener('change', customPeriod);
}

function customPeriod() { document.getElementById('f-period').value = 'custom'; }

function card(label, value, cls) {
  var c = el('div', { 'class': 'card ' + (cls || '') });
  c.appendChild(el('div', { 'class': 'v' }, value));
  c.appendChild(el('div', { 'class': 'k' }, label));
  return c;
}

function totals(s) {
  var t = document.getElementById('totals');
  t.replaceChildren(card('reports', fmt(s.reports)),
    card('successful sessions', fmt(s.success), 'ok'),
    card('failed sessions', fmt(s.failure), s.failure ? 'bad' : ''),
    card('failure rate', rate(s.success, s.failure), s.failure ? 'bad' : ''));
}

// Up to 400 days: every day of the range gets a slot (days without reports
// stay empty), so the axis is a real timeline; longer ranges show only the
// days that have reports.
function fillDays(days) {
  if (days.length < 2) return days;
  var t0 = Date.parse(days[0].day + 'T00:00:00Z'), t1 = Date.parse(days[days.length - 1].day + 'T00:00:00Z');
  var span = Math.round((t1 - t0) / 86400000), by = {}, out = [], i;
  if (span > 400) return days;
  days.forEach(function (d) { by[d.day] = d; });
  for (i = 0; i <= span; i++) {
    var k = new Date(t0 + i * 86400000).toISOString().slice(0, 10);
    out.push(by[k] || { day: k, success: 0, failure: 0 });
  }
  return out;
}

// Stacked bars per day: successful (green) below failed (red).
function chart(data) {
  var days = fillDays(data);
  var multiYear = days.length && days[0].day.slice(0, 4) !== days[days.length - 1].day.slice(0, 4);
  var box = document.getElementById('chart');
  var W = 1000, H = 260, L = 60, B = 24, T = 10, R = 10;
  var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, id: 'timeline', role: 'img',
                       'aria-label': 'successful and failed sessions per day',
                       preserveAspectRatio: 'none' });
  var max = 0, i;
  days.forEach(function (d) { max = Math.max(max, Number(d.success) + Number(d.failure)); });
  max = niceMax(Math.max(max, 4));  // ticks that differ, also for tiny counts
  for (i = 0; i <= 4 && days.length; i++) {
    var y = T + (H - T - B) * (1 - i / 4);
    s.appendChild(svg('line', { x1: L, x2: W - R, y1: y, y2: y, 'class': 'grid' }));
    var lab = svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' });
    lab.textContent = fmt(Math.round(max * i / 4));
    s.appendChild(lab);
  }
  var n = Math.max(days.length, 1), slot = (W - L - R) / n, bw = Math.max(1, slot * 0.8);
  var every = Math.ceil(n / 10);
  days.forEach(function (d, k) {
    var x = L + k * slot + (slot - bw) / 2, scale = (H - T - B) / max;
    var hs = Number(d.success) * scale, hf = Number(d.failure) * scale;
    if (Number(d.failure) > 0 && hf < 2) { hf = 2; hs = Math.max(0, hs - 2); } // failures stay visible
    var base = H - B;
    if (k % every === 0) {
      var dl = svg('text', { x: x + bw / 2, y: H - 6, 'text-anchor': 'middle' });
      dl.textContent = multiYear ? d.day : d.day.slice(5);
      s.appendChild(dl);
    }
    if (!hs && !hf) return;
    var rs = svg('rect', { x: x, y: base - hs, width: bw, height: hs, 'class': 'bar-success',
                           'data-day': d.day, 'data-value': d.success });
    var ts = svg('title', {}); ts.textContent = d.day + ': ' + fmt(d.success) + ' successful';
    rs.appendChild(ts);
    var rf = svg('rect', { x: x, y: base - hs - hf, width: bw, height: hf, 'class': 'bar-failure',
                           'data-day': d.day, 'data-value': d.failure });
    var tf = svg('title', {}); tf.textContent = d.day + ': ' + fmt(d.failure) + ' failed';
    rf.appendChild(tf);
    s.appendChild(rs);
    s.appendChild(rf);
  });
  s.appendChild(svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, 'class': 'axis' }));
  box.replaceChildren(s);
  if (!days.length) box.appendChild(el('p', { 'class': 'empty' }, 'No reports in this period.'));
}

function rows(id, list, cells, emptyText) {
  var tb = document.querySelector('#' + id + ' tbody');
  tb.replaceChildren();
  if (!list.length) {
    var tr = el('tr'), td = el('td', { colspan: '9', 'class': 'empty' }, emptyText);
    tr.appendChild(td);
    tb.appendChild(tr);
    return;
  }
  list.forEach(function (r) {
    var tr = el('tr');
    cells(r).forEach(function (c) { tr.appendChild(c); });
    tb.appendChild(tr);
  });
}

function num(v) { return el('td', { 'class': 'n' }, fmt(v)); }
function txt(v, empty) { return el('td', null, v === '' || v === undefined ? empty || '–' : v); }

function orgs(list) {
  rows('orgs', list, function (o) {
    return [txt(o.organization, '(unnamed)'), num(o.reports), num(o.success), num(o.failure),
            el('td', { 'class': 'n' }, rate(o.success, o.failure))];
  }, 'No reports.');
}

function policies(list) {
  rows('policies', list, function (p) {
    var ps = el('td');
    ps.appendChild(el('div', { 'class': 'policy-string' }, (p.policy_string || []).join('\n')));
    return [txt(p.domain, '(none given)'), txt(p.policy_type), ps, num(p.reports),
            num(p.success), num(p.failure)];
  }, 'No policies.');
}

function failures(list) {
  rows('failures', list, function (f) {
    var type = el('td', { 'class': 'type' });
    type.appendChild(el('code', null, f.result_type));
    var fix = el('td', { 'class': 'fix' });
    fix.appendChild(el('p', { 'class': 'what' }, f.explanation));
    fix.appendChild(el('p', { 'class': 'how' }, f.fix));
    if (f.additional_information)
      fix.appendChild(el('p', { 'class': 'info' }, 'Reporter says: ' + f.additional_information));
    var who = el('td', null, (f.organizations || []).join(', '));
    who.appendChild(el('div', { 'class': 'info' }, day(f.first_seen) + ' – ' + day(f.last_seen)));
    return [txt(f.domain, '(none given)'), type, txt(f.mx, '(not given)'), num(f.count), who, fix];
  }, 'No failures in this period.');
}

function load(url) {
  return fetch(url, { headers: { Accept: 'application/json' } }).then(function (r) {
    if (r.status === 401) {
      window.location.replace('/login.html');   // the session ended
      throw new Error('not logged in');
    }
    return r.json().then(function (j) {
      if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
      return j;
    });
  });
}

// The report filters keep the page's other filters (hidden fields).
function keepFilters(form, f) {
  f.page.forEach(function (v, k) {
    if (k === 'org' || k === 'result_type' || k === 'roffset' || k === 'rafter' ||
        k === 'rbefore' || k === 'report') return;
    form.appendChild(el('input', { type: 'hidden', name: k, value: v }));
  });
}

function main() {
  var f = filters(), q = f.api ? '?' + f.api : '', status = document.getElementById('status');
  if (f.page.get('report')) {   // one report: nothing else on the page
    document.getElementById('summary-views').hidden = true;
    fillForm(f, []);
    reportView(f.page.get('report')).then(function () {
      status.textContent = 'Report ' + f.page.get('report') + '.';
      document.body.setAttribute('data-loaded', 'yes');
    }).catch(function (e) {
      status.className = 'error';
      status.textContent = 'Could not load the report: ' + e.message;
    });
    return;
  }
  // The domain list for the filter comes from the same period without the
  // domain filter (a third request only when a domain is chosen).
  var all = new URLSearchParams(f.api);
  all.delete('domain');
  var loads = [load('/api/summary' + q), load('/api/failures' + q)];
  if (f.page.get('domain')) loads.push(load('/api/summary?' + all.toString()));
  loads.push(f.page.get('domain') ? reportsView(f) : domainsView(f));
  keepFilters(document.getElementById('report-filters'), f);
  exportLinks('failures-export', '/api/failures', f.api);
  Promise.all(loads).then(function (res) {
    var s = res[0];
    fillForm(f, ((f.page.get('domain') ? res[2] : null) || s).domains);
    totals(s);
    chart(s.days || []);
    rateChart(s.days || []);
    typeChart(s.failure_days || []);
    failures(res[1].failures || []);
    mxTable(res[1].failures || []);
    orgs(s.organizations || []);
    policies(s.policies || []);
    document.getElementById('policies-omitted').hidden = !s.policies_omitted;
    status.textContent = fmt(s.reports) + ' reports' + (f.page.get('domain') ?
      ' for ' + domainLabel(f.page.get('domain')) : '') + '.';
    document.body.setAttribute('data-loaded', 'yes');
  }).catch(function (e) {
    fillForm(f, []);
    status.className = 'error';
    status.textContent = 'Could not load the data: ' + e.message;
  });
}

// Who is logged in, and the logout button (POST with the session's CSRF token).
function session() {
  load('/auth/me').then(function (me) {
    var box = document.getElementById('session');
    box.textContent = '';
    box.appendChild(el('span', { 'id': 'whoami' }, me.user + (me.admin ? ' (admin)' : '')));
    var out = el('button', { 'type': 'button', 'id': 'logout' }, 'Log out');
    out.addEventListener('click', function () {
      fetch('/auth/logout', { method: 'POST', credentials: 'same-origin',
                              headers: { 'X-CSRF-Token': me.csrf } })
        .then(function () { window.location.replace('/login.html'); });
    });
    if (me.csrf) box.appendChild(out);
  }).catch(function () {});
}

document.addEventListener('DOMContentLoaded', function () { session(); main(); });
