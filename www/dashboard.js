// Live dashboard of /v1/aggregates: one small SVG bar chart per field.
// Dependency-free; text is set with textContent only.
(function () {
  'use strict';
  var SITE = 'shop.example';
  var NS = 'http://www.w3.org/2000/svg';
  var charts = document.getElementById('charts');
  var meta = document.getElementById('meta');

  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function bars(title, pairs) {
    var max = Math.max.apply(null, pairs.map(function (p) { return p[1]; }).concat([1]));
    var rowH = 22, w = 480, labelW = 120;
    var svg = svgEl('svg', { viewBox: '0 0 ' + w + ' ' + (pairs.length * rowH + 4), role: 'img', 'aria-label': title });
    pairs.forEach(function (p, i) {
      var y = i * rowH + 2;
      var len = Math.max(0, (w - labelW - 60) * p[1] / max);
      svg.append(svgEl('text', { x: 0, y: y + 15, class: 'label' }, p[0]));
      svg.append(svgEl('rect', { x: labelW, y: y + 3, width: len, height: rowH - 8, class: 'bar' }));
      svg.append(svgEl('text', { x: labelW + len + 6, y: y + 15, class: 'value' }, String(p[1])));
    });
    return svg;
  }

  function card(event, data) {
    var box = document.createElement('section');
    box.className = 'chart';
    var h = document.createElement('h2');
    h.textContent = event;
    var p = document.createElement('p');
    p.textContent = data.count === null ? 'Too few reports to show yet (' + data.reports + ').'
      : data.count + ' events from ' + data.reports + ' reports';
    box.append(h, p);
    Object.keys(data.fields || {}).forEach(function (name) {
      var v = data.fields[name];
      var sub = document.createElement('p');
      if (Array.isArray(v)) {
        sub.textContent = name + ' (histogram buckets)';
        box.append(sub, bars(event + ' ' + name, v.map(function (n, i) { return [i === v.length - 1 ? 'overflow' : 'bucket ' + (i + 1), n]; })));
      } else if (typeof v === 'object' && v !== null) {
        sub.textContent = name;
        box.append(sub, bars(event + ' ' + name, Object.keys(v).map(function (k) { return [k, v[k]]; })));
      } else {
        sub.textContent = name + ': total ' + (Math.round(v * 100) / 100);
        box.append(sub);
      }
    });
    return box;
  }

  function get(url) {
    return fetch(url, { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
      return r.json();
    });
  }

  function refresh() {
    get('/v1/aggregates?site=' + encodeURIComponent(SITE)).then(function (list) {
      return Promise.all((list.events || []).map(function (e) {
        return get('/v1/aggregates?site=' + encodeURIComponent(SITE) + '&event=' + encodeURIComponent(e))
          .then(function (d) { return [e, d]; });
      }));
    }).then(function (all) {
      charts.replaceChildren.apply(charts, all.map(function (x) { return card(x[0], x[1]); }));
      meta.textContent = all.length ? 'Updated ' + new Date().toLocaleTimeString() + '. Refreshes every 5 seconds.'
        : 'Nothing collected yet: visit the shop, accept "Count visits", and wait for a window to close (or reload).';
    }).catch(function (e) { meta.textContent = 'Could not load aggregates: ' + e.message; });
  }
  refresh();
  setInterval(refresh, 5000);
})();
