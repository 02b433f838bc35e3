// tlsrpt dashboard views for many domains: the domain overview (sorted,
// paged), the failure-rate and failure-type charts, failures by MX, a
// domain's reports (paged, filtered) and one report as stored, and export
// links.  Uses el(), svg(), fmt(), rate(), day(), load() from app.js.
// Report text is untrusted: only ever set with textContent.
'use strict';

// A domain shown as its U-label, the A-label on hover.
function domainCell(d, unicode, link) {
  var td = el('td');
  var label = unicode || d || '(none given)';
  var a = link ? el('a', { href: link }, label) : el('span', null, label);
  if (unicode) a.setAttribute('title', d);
  td.appendChild(a);
  return td;
}

// The page URL with some parameters changed (null removes one).
function pageWith(changes) {
  var p = new URLSearchParams(window.location.search);
  Object.keys(changes).forEach(function (k) {
    if (changes[k] === null || changes[k] === '') p.delete(k); else p.set(k, changes[k]);
  });
  return '?' + p.toString();
}

function pct(r) {
  var v = 100 * Number(r || 0);
  return v ? v.toFixed(v < 0.1 ? 3 : 2) + ' %' : '0 %';
}

function trendCell(o) {
  if (!o.previous) return el('td', { 'class': 'n' }, '–');
  var d = 100 * Number(o.trend || 0);
  var cls = d > 0.0005 ? 'worse' : (d < -0.0005 ? 'better' : '');
  return el('td', { 'class': 'n ' + cls, title: 'before: ' + pct(o.previous.rate) },
            (d > 0 ? '+' : '') + d.toFixed(3) + ' pt');
}

function exportLinks(id, path, api) {
  var box = document.getElementById(id);
  if (!box) return;
  var q = api ? api + '&' : '';
  box.replaceChildren(el('span', null, 'Export: '),
    el('a', { href: path + '?' + q + 'format=csv', download: '' }, 'CSV'),
    el('span', null, ' · '),
    el('a', { href: path + (api ? '?' + api : ''), target: '_blank' }, 'JSON'));
}

// ---- the domain overview -------------------------------------------------

var PAGE = 50;

function domainsView(f) {
  var p = f.page, sort = p.get('sort') || 'failures', order = p.get('order') || '';
  var offset = Number(p.get('offset') || 0), q = new URLSearchParams(f.api);
  q.set('sort', sort);
  if (order) q.set('order', order);
  q.set('offset', String(offset));
  q.set('limit', String(PAGE));
  if (p.get('match')) q.set('match', p.get('match'));
  document.getElementById('domains-section').hidden = false;
  exportLinks('domains-export', '/api/domains', q.toString());
  return load('/api/domains?' + q.toString()).then(function (res) {
    var tb = document.querySelector('#domains tbody');
    tb.replaceChildren();
    document.querySelectorAll('#domains th[data-sort]').forEach(function (th) {
      var k = th.getAttribute('data-sort'), cur = k === res.sort;
      var next = cur && res.order === 'desc' ? 'asc' : 'desc';
      var a = el('a', { href: pageWith({ sort: k, order: next, offset: null }) },
                 th.getAttribute('data-label') + (cur ? (res.order === 'desc' ? ' ▼' : ' ▲') : ''));
      th.replaceChildren(a);
    });
    if (!res.domains.length) {
      var tr0 = el('tr');
      tr0.appendChild(el('td', { colspan: '8', 'class': 'empty' }, 'No domains in this period.'));
      tb.appendChild(tr0);
    }
    res.domains.forEach(function (o) {
      var tr = el('tr', { 'data-domain': o.domain });
      tr.appendChild(domainCell(o.domain, o.domain_unicode,
                                pageWith({ domain: o.domain === '' ? '-' : o.domain, offset: null,
                                           sort: null, order: null })));
      tr.appendChild(el('td', { 'class': 'n' }, fmt(o.sessions)));
      tr.appendChild(el('td', { 'class': 'n' + (o.failure ? ' worse' : '') }, fmt(o.failure)));
      tr.appendChild(el('td', { 'class': 'n' }, pct(o.rate)));
      tr.appendChild(trendCell(o));
      tr.appendChild(el('td', { 'class': 'n' }, fmt(o.reporters)));
      tr.appendChild(el('td', null, day(o.last_received)));
      var stale = el('td', { 'class': 'stale' });
      (o.stale_reporters || []).forEach(function (s) {
        stale.appendChild(el('div', { title: 'last report ' + day(s.last_report) },
                             s.organization + ' (since ' + day(s.last_report) + ')'));
      });
      tr.appendChild(stale);
      tb.appendChild(tr);
    });
    var pager = document.getElementById('domains-pager');
    pager.replaceChildren(el('span', null, (res.total ? offset + 1 : 0) + '–' +
      Math.min(offset + PAGE, res.total) + ' of ' + fmt(res.total) + ' domains '));
    if (offset > 0)
      pager.appendChild(el('a', { href: pageWith({ offset: String(Math.max(0, offset - PAGE)) }) }, '‹ previous'));
    if (offset + PAGE < res.total)
      pager.appendChild(el('a', { href: pageWith({ offset: String(offset + PAGE) }) }, 'next ›'));
  });
}

// ---- charts on their own axes ----------------------------------------------

// A round top for an axis over max (1, 2, 5 × 10^n), so the ticks differ.
function niceMax(max) {
  if (!(max > 0)) return 1;
  var e = Math.pow(10, Math.floor(Math.log10(max))), m = max / e;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
}

function axisChart(id, label, days, value, fmtTick, cls) {
  var box = document.getElementById(id);
  var W = 1000, H = 200, L = 70, B = 24, T = 10, R = 10;
  var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': label,
                       preserveAspectRatio: 'none' });
  var max = 0, i;
  days.forEach(function (d) { max = Math.max(max, value(d)); });
  if (!days.length) {
    box.replaceChildren(el('p', { 'class': 'empty' }, 'No reports in this period.'));
    return;
  }
  max = niceMax(max);
  for (i = 0; i <= 4; i++) {
    var y = T + (H - T - B) * (1 - i / 4);
    s.appendChild(svg('line', { x1: L, x2: W - R, y1: y, y2: y, 'class': 'grid' }));
    var lab = svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' });
    lab.textContent = fmtTick(max * i / 4);
    s.appendChild(lab);
  }
  var n = days.length, slot = (W - L - R) / n, bw = Math.max(1, slot * 0.8), every = Math.ceil(n / 10);
  days.forEach(function (d, k) {
    var x = L + k * slot + (slot - bw) / 2, h = value(d) * (H - T - B) / max;
    if (value(d) > 0 && h < 2) h = 2;
    if (k % every === 0) {
      var dl = svg('text', { x: x + bw / 2, y: H - 6, 'text-anchor': 'middle' });
      dl.textContent = d.day.slice(5);
      s.appendChild(dl);
    }
    if (!h) return;
    var r = svg('rect', { x: x, y: H - B - h, width: bw, height: h, 'class': cls,
                          'data-day': d.day, 'data-value': String(value(d)) });
    var t = svg('title', {});
    t.textContent = d.day + ': ' + fmtTick(value(d));
    r.appendChild(t);
    s.appendChild(r);
  });
  s.appendChild(svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, 'class': 'axis' }));
  box.replaceChildren(s);
}

function rateChart(days) {
  var all = fillDays(days || []);
  axisChart('ratechart', 'failure rate per day', all, function (d) {
    var t = Number(d.success || 0) + Number(d.failure || 0);
    return t ? Number(d.failure || 0) / t : 0;
  }, function (v) { return (100 * v).toFixed(v && v < 0.001 ? 3 : 2) + ' %'; }, 'bar-rate');
}

// Failed sessions per day, one row of small bars per result type.
function typeChart(fdays) {
  var box = document.getElementById('typechart'), types = {}, list = [];
  (fdays || []).forEach(function (d) {
    if (!types[d.result_type]) { types[d.result_type] = []; list.push(d.result_type); }
    types[d.result_type].push({ day: d.day, success: 0, failure: d.failed });
  });
  box.replaceChildren();
  if (!list.length) {
    box.appendChild(el('p', { 'class': 'empty' }, 'No failures in this period.'));
    return;
  }
  list.forEach(function (t, k) {
    var id = 'typechart-' + k, h = el('h3', null);
    h.appendChild(el('code', null, t || '(no result type)'));
    box.appendChild(h);
    box.appendChild(el('div', { id: id, 'class': 'chart small', 'data-type': t }));
    axisChart(id, 'failed sessions per day: ' + t, fillDays(types[t]),
              function (d) { return Number(d.failure || 0); },
              function (v) { return fmt(Math.round(v)); }, 'bar-failure');
  });
}

function mxTable(failures) {
  var by = {}, list = [];
  (failures || []).forEach(function (f) {
    var k = f.mx || '';
    if (!by[k]) { by[k] = { mx: k, count: 0, domains: {}, types: {} }; list.push(by[k]); }
    by[k].count += Number(f.count || 0);
    by[k].domains[f.domain] = 1;
    by[k].types[f.result_type] = 1;
  });
  list.sort(function (a, b) { return b.count - a.count; });
  rows('mxs', list, function (m) {
    return [txt(m.mx, '(not given)'), el('td', { 'class': 'n' }, fmt(m.count)),
            el('td', null, Object.keys(m.types).join(', ')),
            el('td', null, Object.keys(m.domains).join(', '))];
  }, 'No failures in this period.');
}

// ---- a domain's reports, one report ------------------------------------------

// Paged by cursor (the API's "next" / "prev", kept in the page URL as
// rafter / rbefore): a page deep in the list costs what the first does.
// roffset is the page's place, for the "1–50 of N" line (and for a
// bookmark made before cursors: then the API is asked by offset).
function reportsView(f) {
  var p = f.page, offset = Number(p.get('roffset') || 0), q = new URLSearchParams(f.api);
  if (p.get('org')) q.set('org', p.get('org'));
  if (p.get('result_type')) q.set('result_type', p.get('result_type'));
  if (p.get('rafter')) q.set('after', p.get('rafter'));
  else if (p.get('rbefore')) q.set('before', p.get('rbefore'));
  else q.set('offset', String(offset));
  q.set('limit', String(PAGE));
  document.getElementById('reports-section').hidden = false;
  exportLinks('reports-export', '/api/reports', q.toString());
  document.getElementById('f-org').value = p.get('org') || '';
  document.getElementById('f-rtype').value = p.get('result_type') || '';
  return load('/api/reports?' + q.toString()).then(function (res) {
    rows('reports', res.reports, function (r) {
      var id = el('td');
      id.appendChild(el('a', { href: pageWith({ report: String(r.id) }) }, r.report_id || String(r.id)));
      return [id, txt(r.organization, '(unnamed)'), txt(day(r.start)), num(r.success),
              el('td', { 'class': 'n' + (r.failure ? ' worse' : '') }, fmt(r.failure)),
              txt(day(r.received))];
    }, 'No reports match.');
    var pager = document.getElementById('reports-pager'), n = res.reports.length;
    pager.replaceChildren(el('span', null, (n ? offset + 1 : 0) + '–' +
      (offset + n) + ' of ' + fmt(res.total) + ' reports '));
    if (res.prev) {
      var back = offset - PAGE > 0 ? { rbefore: res.prev, rafter: null, roffset: String(offset - PAGE) }
                                   : { rbefore: null, rafter: null, roffset: null };
      pager.appendChild(el('a', { href: pageWith(back) }, '‹ previous'));
    }
    if (res.next)
      pager.appendChild(el('a', { href: pageWith({ rafter: res.next, rbefore: null,
                                                   roffset: String(offset + n) }) }, 'next ›'));
  });
}

function kv(dl, k, v) {
  dl.appendChild(el('dt', null, k));
  dl.appendChild(el('dd', null, v === undefined || v === null || v === '' ? '–' : String(v)));
}

// One report: every member as stored, failure details in a table.
function reportView(id) {
  var sec = document.getElementById('report-section');
  sec.hidden = false;
  return load('/api/report?id=' + encodeURIComponent(id)).then(function (res) {
    var r = res.report || {}, box = document.getElementById('report'), dl = el('dl');
    box.replaceChildren();
    kv(dl, 'organization-name', r['organization-name']);
    kv(dl, 'report-id', r['report-id']);
    kv(dl, 'date-range', (r['date-range'] || {})['start-datetime'] + ' – ' +
       (r['date-range'] || {})['end-datetime']);
    kv(dl, 'contact-info', r['contact-info']);
    kv(dl, 'received', day(res.source.received) + ' by ' + (res.source.channel || '?') +
       (res.source.name ? ' (' + res.source.name + ')' : ''));
    if (res.quirks && res.quirks.length) kv(dl, 'read leniently', res.quirks.join('; '));
    box.appendChild(dl);
    (r.policies || []).forEach(function (p) {
      var pol = p.policy || {}, sum = p.summary || {}, h = el('h3', null,
        (pol['policy-type'] || '?') + ' policy of ' + (pol['policy-domain'] || '(no policy domain)'));
      box.appendChild(h);
      var pd = el('dl');
      kv(pd, 'policy-string', (pol['policy-string'] || []).join(' | '));
      kv(pd, 'mx-host', (pol['mx-host'] || []).join(', '));
      kv(pd, 'successful sessions', fmt(sum['total-successful-session-count']));
      kv(pd, 'failed sessions', fmt(sum['total-failure-session-count']));
      box.appendChild(pd);
      var t = el('table', { 'class': 'details' }), head = el('tr');
      ['result-type', 'sending-mta-ip', 'receiving-mx-hostname', 'receiving-mx-helo',
       'receiving-ip', 'failed-session-count', 'failure-reason-code', 'additional-information']
        .forEach(function (k) { head.appendChild(el('th', null, k)); });
      t.appendChild(head);
      (p['failure-details'] || []).forEach(function (d) {
        var tr = el('tr');
        ['result-type', 'sending-mta-ip', 'receiving-mx-hostname', 'receiving-mx-helo',
         'receiving-ip', 'failed-session-count', 'failure-reason-code', 'additional-information']
          .forEach(function (k) { tr.appendChild(el('td', null, d[k] === undefined ? '–' : String(d[k]))); });
        t.appendChild(tr);
      });
      if ((p['failure-details'] || []).length) box.appendChild(t);
    });
    var raw = el('p');
    raw.appendChild(el('a', { href: res.raw, target: '_blank' }, 'The JSON as received'));
    box.appendChild(raw);
  });
}
