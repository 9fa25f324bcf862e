/* A time-series chart as inline SVG: no library, no inline style (the pages' CSP forbids it).
 *
 * `Tally.drawChart(box, points, interval, metric)` replaces the box's content; call it again to
 * redraw (another metric, a resized window). Colours come from pages.css classes.
 */
(function () {
  'use strict';

  var T = window.Tally;
  var el = T.el;
  var svg = T.svg;

  var shortDay = new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'short', timeZone: 'UTC'});
  var fullDay = new Intl.DateTimeFormat(undefined,
    {weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC'});
  var shortMonth = new Intl.DateTimeFormat('en-GB', {month: 'short', year: 'numeric', timeZone: 'UTC'});  // Nov 2026
  var fullMonth = new Intl.DateTimeFormat(undefined, {month: 'long', year: 'numeric', timeZone: 'UTC'});

  /** A point's key (`2024-05-01`, or `2024-05-01T13:00:00+02:00` for hours) as an axis or tooltip label. */
  function pointLabel(key, interval, full) {
    var day = T.dayToDate(key.slice(0, 10));
    if (interval === 'hour' || interval === 'minute') {
      return full ? fullDay.format(day) + ', ' + key.slice(11, 16) : key.slice(11, 16);
    }
    if (interval === 'month') return (full ? fullMonth : shortMonth).format(day);
    if (interval === 'week') return full ? 'Week of ' + fullDay.format(day) : shortDay.format(day);
    return (full ? fullDay : shortDay).format(day);
  }

  function niceTicks(max, integer) {
    var top = max > 0 ? max : integer ? 4 : 1;
    var raw = top / 4;
    var magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (f) { return f * magnitude; })
      .find(function (s) { return s >= raw; });
    if (integer) step = Math.max(1, Math.ceil(step));
    var ticks = [];
    for (var t = 0; ticks.length < 12; t += step) {
      ticks.push(Math.round(t * 100) / 100);
      if (t >= top) break;
    }
    return ticks;
  }

  /**
   * Draw `points` (time-series results) of `metric` ({key, label, format, integer}) into `box`, as wide
   * as the box: axes with labels, a line over an area (or a bar per point with `style` 'bars'), and a
   * tooltip following the pointer or a tap.
   */
  function drawChart(box, points, interval, metric, currentPoint, style) {
    var bars = style === 'bars';
    var n = points.length;
    // The point whose interval contains now is partial: the line reaches it dashed and stops there
    // (later points are the future, not zeros).
    var current = currentPoint ? points.findIndex(function (p) { return p.date === currentPoint; }) : -1;
    var drawn = current >= 0 ? current + 1 : n;
    var width = Math.max(240, box.clientWidth);
    var height = width < 560 ? 200 : 260;
    var m = {top: 12, right: 14, bottom: 28, left: 52};
    var w = width - m.left - m.right;
    var h = height - m.top - m.bottom;
    var values = points.map(function (p) { return Number(p[metric.key]) || 0; });
    var ticks = niceTicks(Math.max.apply(null, values.concat([0])), metric.integer);
    var top = ticks[ticks.length - 1];
    var slot = n ? w / n : w;
    var x = bars ? function (i) { return m.left + (i + 0.5) * slot; }
      : function (i) { return m.left + (n > 1 ? i * w / (n - 1) : w / 2); };
    var y = function (v) { return m.top + h - (v / top) * h; };

    var root = svg('svg', {viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
      class: 'chart-svg', role: 'img', 'aria-label': metric.label + ' per ' + interval});
    ticks.forEach(function (t) {
      root.append(svg('line', {class: 'grid', x1: m.left, x2: width - m.right, y1: y(t), y2: y(t)}));
      var label = svg('text', {class: 'axis', x: m.left - 8, y: y(t) + 4, 'text-anchor': 'end'});
      label.textContent = metric.format(t);
      root.append(label);
    });
    var step = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(w / 72))));
    for (var i = 0; i < n; i += step) {
      var anchor = n === 1 ? 'middle' : i === 0 ? 'start' : i + step >= n && x(i) > width - m.right - 30 ? 'end'
        : 'middle';
      var text = svg('text', {class: 'axis', x: x(i), y: height - 8, 'text-anchor': anchor});
      text.textContent = pointLabel(points[i].date, interval, false);
      root.append(text);
    }
    if (n && bars) {
      var barWidth = Math.max(1, slot * 0.7);
      values.slice(0, drawn).forEach(function (v, j) {
        root.append(svg('rect', {class: 'bar', x: (x(j) - barWidth / 2).toFixed(1), y: y(v).toFixed(1),
          width: barWidth.toFixed(1), height: Math.max(0, m.top + h - y(v)).toFixed(1)}));
      });
    } else if (n) {
      var solidEnd = current > 0 ? current - 1 : drawn - 1;
      var path = function (from, to) {
        var parts = [];
        for (var j = from; j <= to; j++) parts.push((j > from ? 'L' : 'M') + x(j).toFixed(1) + ' ' + y(values[j]).toFixed(1));
        return parts.join(' ');
      };
      var whole = path(0, drawn - 1);
      root.append(svg('path', {class: 'area', d: whole + ' L' + x(drawn - 1).toFixed(1) + ' ' + (m.top + h)
        + ' L' + x(0).toFixed(1) + ' ' + (m.top + h) + ' Z'}));
      if (solidEnd > 0 || current !== 0) root.append(svg('path', {class: 'line', d: path(0, Math.max(0, solidEnd))}));
      if (current > 0) root.append(svg('path', {class: 'line partial', d: path(current - 1, current)}));
      if (drawn === 1) root.append(svg('circle', {class: 'point', cx: x(0), cy: y(values[0]), r: 4}));
      if (current >= 0) root.append(svg('circle', {class: 'point now', cx: x(current), cy: y(values[current]), r: 3}));
    }
    if (!values.some(function (v) { return v > 0; })) {
      var empty = svg('text', {class: 'empty', x: m.left + w / 2, y: m.top + h / 2, 'text-anchor': 'middle'});
      empty.textContent = 'No data for this period';
      root.append(empty);
    }

    var guide = svg('line', {class: 'guide', y1: m.top, y2: m.top + h, x1: 0, x2: 0, visibility: 'hidden'});
    var focus = svg('circle', {class: 'focus', r: 5, cx: 0, cy: 0, visibility: 'hidden'});
    var hit = svg('rect', {class: 'hit', x: m.left - 6, y: m.top, width: w + 12, height: h});
    root.append(guide, focus, hit);
    var tip = el('div', {className: 'tooltip', hidden: true, role: 'status'});

    function show(event) {
      if (!n) return;
      var rect = root.getBoundingClientRect();
      var px = (event.clientX - rect.left) * width / rect.width;
      var index = bars ? Math.floor((px - m.left) / slot) : n > 1 ? Math.round((px - m.left) / w * (n - 1)) : 0;
      index = Math.min(drawn - 1, Math.max(0, index));
      var cx = x(index);
      var cy = y(values[index]);
      guide.setAttribute('x1', cx);
      guide.setAttribute('x2', cx);
      focus.setAttribute('cx', cx);
      focus.setAttribute('cy', cy);
      guide.setAttribute('visibility', 'visible');
      focus.setAttribute('visibility', 'visible');
      tip.replaceChildren(el('span', {className: 'tooltip-date'}, pointLabel(points[index].date, interval, true)
        + (index === current ? ' (so far)' : '')),
        el('strong', null, metric.format(values[index])), ' ', metric.label.toLowerCase());
      tip.hidden = false;
      var scale = rect.width / width;
      var left = cx * scale;
      var half = tip.offsetWidth / 2;
      tip.style.left = Math.min(rect.width - half, Math.max(half, left)) + 'px';
      tip.style.top = Math.max(0, cy * scale - tip.offsetHeight - 12) + 'px';
    }

    function hide() {
      guide.setAttribute('visibility', 'hidden');
      focus.setAttribute('visibility', 'hidden');
      tip.hidden = true;
    }

    hit.addEventListener('pointermove', show);
    hit.addEventListener('pointerdown', show);
    hit.addEventListener('pointerleave', hide);
    box.replaceChildren(root, tip);
  }

  T.drawChart = drawChart;
  T.pointLabel = pointLabel;
})();
