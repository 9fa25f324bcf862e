/* The dashboard at `/`: site and period pickers, metric cards, a chart, breakdowns, realtime, failures.
 *
 * The view (site, period, anchor date or custom range, chart metric) lives in the query string, so a
 * reload or a shared link shows the same view; without `date` the view follows today. Every stats
 * request names its days explicitly — `date=YYYY-MM-DD` (today in the site's time zone, from Intl)
 * or `from`/`to` with `custom` — never a timestamp, so the same view is the same URL all day long.
 * Responses that arrive after the view changed are dropped (a generation counter).
 */
(function () {
  'use strict';

  var T = window.Tally;
  var el = T.el;
  var svg = T.svg;

  var PERIODS = ['day', '7d', '30d', 'month', '6mo', '12mo', 'custom'];
  var DEFAULT_PERIOD = '30d';
  var POLL_MS = 30000;
  var ROWS_PER_PAGE = 10;
  var MAX_HOURLY_DAYS = 31;

  var percent = function (v) { return v + '%'; };
  var METRICS = [
    {key: 'visitors', label: 'Unique visitors', format: T.formatCount, integer: true},
    {key: 'visits', label: 'Total visits', format: T.formatCount, integer: true},
    {key: 'pageviews', label: 'Total pageviews', format: T.formatCount, integer: true},
    {key: 'views_per_visit', label: 'Views per visit', format: function (v) { return Number(v).toFixed(2); }},
    {key: 'bounce_rate', label: 'Bounce rate', format: percent, integer: true, lowerIsBetter: true, points: true},
    {key: 'visit_duration', label: 'Visit duration', format: T.formatDuration, integer: true},
  ];
  var METRIC = {};
  METRICS.forEach(function (m) { METRIC[m.key] = m; });

  var COLUMNS = {
    visitors: {label: 'Visitors', format: T.formatCount},
    pageviews: {label: 'Pageviews', format: T.formatCount},
    events: {label: 'Events', format: T.formatCount},
    visits: {label: 'Visits', format: T.formatCount},
    bounce_rate: {label: 'Bounce', format: percent},
    visit_duration: {label: 'Duration', format: T.formatDuration},
  };
  var VISIT_COLUMNS = ['visitors', 'visits', 'bounce_rate', 'visit_duration'];
  var PANELS = [
    {id: 'pages', title: 'Pages', tabs: [
      {label: 'Top pages', property: 'page', column: 'Page', columns: ['visitors', 'pageviews']},
      {label: 'Entry pages', property: 'entry_page', column: 'Entry page', columns: VISIT_COLUMNS},
      {label: 'Exit pages', property: 'exit_page', column: 'Exit page', columns: VISIT_COLUMNS},
    ]},
    {id: 'sources', title: 'Sources', tabs: [
      {label: 'Sources', property: 'source', column: 'Source', columns: VISIT_COLUMNS},
      {label: 'Referrers', property: 'referrer', column: 'Referrer', columns: VISIT_COLUMNS},
      {label: 'UTM source', property: 'utm_source', column: 'UTM source', columns: VISIT_COLUMNS},
      {label: 'UTM medium', property: 'utm_medium', column: 'UTM medium', columns: VISIT_COLUMNS},
      {label: 'UTM campaign', property: 'utm_campaign', column: 'UTM campaign', columns: VISIT_COLUMNS},
    ]},
    {id: 'countries', title: 'Countries', tabs: [
      {label: 'Countries', property: 'country', column: 'Country', columns: ['visitors', 'visits']},
    ]},
    {id: 'devices', title: 'Devices', tabs: [
      {label: 'Devices', property: 'device', column: 'Device', columns: ['visitors', 'visits']},
      {label: 'Browsers', property: 'browser', column: 'Browser', columns: ['visitors', 'visits']},
      {label: 'OS', property: 'os', column: 'Operating system', columns: ['visitors', 'visits']},
    ]},
    {id: 'events', title: 'Events', tabs: [
      {label: 'Events', property: 'event:name', column: 'Event', columns: ['visitors', 'events']},
    ]},
  ];

  var $ = function (id) { return document.getElementById(id); };

  var state = {
    sites: [],
    site: null,
    view: {site: null, period: DEFAULT_PERIOD, date: null, from: null, to: null, metric: 'visitors'},
    generation: 0,
    series: null,
    range: null,
    pollTimer: null,
    lastPoll: 0,
    signedIn: false,
  };

  // -- view state in the query string -----------------------------------------------------------------
  function viewFromUrl() {
    var q = new URLSearchParams(location.search);
    var period = PERIODS.indexOf(q.get('period')) >= 0 ? q.get('period') : DEFAULT_PERIOD;
    var view = {
      site: q.get('site'),
      period: period,
      date: T.isDay(q.get('date')) ? q.get('date') : null,
      from: T.isDay(q.get('from')) ? q.get('from') : null,
      to: T.isDay(q.get('to')) ? q.get('to') : null,
      metric: METRIC[q.get('metric')] ? q.get('metric') : 'visitors',
    };
    if (period === 'custom' && !(view.from && view.to && view.from <= view.to)) {
      view.period = DEFAULT_PERIOD;
      showNotice('The custom range in the address was not valid (from and to as YYYY-MM-DD, from ≤ to); '
        + 'showing the last 30 days.');
    }
    if (view.period !== 'custom') view.from = view.to = null;
    return view;
  }

  function urlOf(view) {
    var q = new URLSearchParams();
    if (view.site) q.set('site', view.site);
    q.set('period', view.period);
    if (view.period === 'custom') {
      q.set('from', view.from);
      q.set('to', view.to);
    } else if (view.date) {
      q.set('date', view.date);
    }
    if (view.metric !== 'visitors') q.set('metric', view.metric);
    return location.pathname + '?' + q.toString();
  }

  function today() {
    return T.todayIn(state.site ? state.site.timezone : 'UTC');
  }

  /** Change the view, record it in the history and load what changed. */
  function navigate(changes, options) {
    var before = JSON.stringify(state.view);
    Object.assign(state.view, changes);
    if (state.view.period === 'custom') state.view.date = null;
    else state.view.from = state.view.to = null;
    if (state.view.date && state.view.date >= today()) state.view.date = null;
    if (JSON.stringify(state.view) === before) return;
    history[options && options.replace ? 'replaceState' : 'pushState'](null, '', urlOf(state.view));
    if (options && options.chartOnly) {
      renderMetricSelection();
      drawChart();
    } else {
      loadAll();
    }
  }

  /** The days a stats request covers, as the API takes them: explicit dates, never a timestamp. */
  function rangeParams() {
    var v = state.view;
    if (v.period === 'custom') return [['period', 'custom'], ['from', v.from], ['to', v.to]];
    return [['period', v.period], ['date', v.date || today()]];
  }

  function intervalFor(view) {
    if (view.period === 'day') return 'hour';
    if (view.period === '6mo' || view.period === '12mo') return 'month';
    if (view.period !== 'custom') return 'day';
    var days = T.daysBetween(view.from, view.to);
    if (days <= 1) return 'hour';
    if (days <= MAX_HOURLY_DAYS) return 'day';
    return days <= 183 ? 'week' : 'month';
  }

  function statsPath(name) {
    return '/api/v1/sites/' + encodeURIComponent(state.site.site_id) + '/stats/' + name;
  }

  function params(pairs) {
    var q = new URLSearchParams();
    pairs.forEach(function (pair) { if (pair[1] !== null && pair[1] !== undefined) q.append(pair[0], pair[1]); });
    return q;
  }

  // -- sign-in ------------------------------------------------------------------------------------------
  function expiredMessage(token) {
    var claims = T.claimsOf(token);
    if (claims && typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) {
      return 'This token expired on ' + new Date(claims.exp * 1000).toLocaleString() + '. Sign in with a new one.';
    }
    return '';
  }

  function showSignIn(message) {
    state.signedIn = false;
    state.generation++;
    stopPolling();
    $('dashboard').hidden = true;
    $('controls').hidden = true;
    $('status').hidden = true;
    $('sign-in').hidden = false;
    var box = $('sign-in-message');
    box.textContent = message || '';
    box.hidden = !message;
    document.title = 'Sign in · Tally';
    $('token-input').focus();
  }

  function signIn(token) {
    var expired = expiredMessage(token);
    if (expired) {
      T.clearToken();
      showSignIn(expired);
      return;
    }
    T.saveToken(token);
    start();
  }

  function whoText(token) {
    if (token.indexOf('tly_') === 0) return 'API key';
    var claims = T.claimsOf(token) || {};
    var roles = Array.isArray(claims.roles) ? claims.roles.join(', ') : claims.roles;
    return [claims.org_id, roles].filter(Boolean).join(' · ');
  }

  // -- start-up ------------------------------------------------------------------------------------------
  async function loadSites() {
    var sites = [];
    var cursor = null;
    for (var page = 0; page < 20; page++) {
      var answer = await T.api('/api/v1/sites', params([['limit', 100], ['cursor', cursor]]));
      sites = sites.concat(answer.sites);
      cursor = answer.next_cursor;
      if (!cursor) break;
    }
    return sites.filter(function (s) { return s.status !== 'deleting'; });
  }

  async function start() {
    state.signedIn = true;
    var generation = ++state.generation;
    $('sign-in').hidden = true;
    $('dashboard').hidden = false;
    $('status').hidden = false;
    $('who').textContent = whoText(T.token());
    hideNotice();
    setState('loading');
    state.view = viewFromUrl();
    startPolling();
    var sites;
    try {
      sites = await loadSites();
    } catch (error) {
      if (generation !== state.generation) return;
      showNotice('Could not load your sites: ' + error.message);
      setState('error');
      return;
    }
    if (generation !== state.generation) return;
    state.sites = sites;
    if (!sites.length) {
      showNotice('Your organisation has no sites yet. Add one with POST /api/v1/sites (org_admin), '
        + 'then send events to POST /api/event.');
      setState('empty');
      return;
    }
    var picker = $('site-picker');
    picker.replaceChildren.apply(picker, sites.map(function (s) {
      return el('option', {value: s.site_id}, s.domain);
    }));
    var wanted = state.view.site;
    state.site = sites.find(function (s) { return s.site_id === wanted; }) || sites[0];
    if (wanted && wanted !== state.site.site_id) {
      showNotice('No site ' + wanted + ' in your organisation; showing ' + state.site.domain + '.');
    }
    state.view.site = state.site.site_id;
    if (state.view.date && state.view.date >= today()) state.view.date = null;
    history.replaceState(null, '', urlOf(state.view));
    $('controls').hidden = false;
    loadAll();
    refreshRealtime();
  }

  // -- loading ----------------------------------------------------------------------------------------------
  function setState(name) {
    $('dashboard').dataset.state = name;
  }

  function loadAll() {
    var generation = ++state.generation;
    var range = rangeParams();
    state.range = range;
    setState('loading');
    renderControls();
    var jobs = [loadOverview(generation, range), loadChart(generation, range)]
      .concat(PANELS.map(function (panel) { return loadPanel(generation, panel); }));
    Promise.allSettled(jobs).then(function (results) {
      if (generation !== state.generation) return;
      setState(results.some(function (r) { return r.status === 'rejected'; }) ? 'error' : 'ready');
    });
  }

  function current(generation) {
    return generation === state.generation && state.signedIn;
  }

  async function loadOverview(generation, range) {
    var cards = $('cards');
    cards.setAttribute('aria-busy', 'true');
    cards.classList.add('is-loading');
    try {
      var data = await T.api(statsPath('overview'), params(range.concat([['compare', 'previous_period']])));
      if (!current(generation)) return;
      renderCards(data.results);
      renderRange(data.range);
    } catch (error) {
      if (current(generation)) renderCardsError(error);
      throw error;
    } finally {
      if (current(generation)) {
        cards.removeAttribute('aria-busy');
        cards.classList.remove('is-loading');
      }
    }
  }

  async function loadChart(generation, range) {
    var box = $('chart');
    var interval = intervalFor(state.view);
    box.classList.add('is-loading');
    $('chart-caption').textContent = 'per ' + interval;
    try {
      var data = await T.api(statsPath('timeseries'), params(range.concat([['interval', interval]])));
      if (!current(generation)) return;
      state.series = data;
      drawChart();
    } catch (error) {
      if (current(generation)) {
        state.series = null;
        box.replaceChildren(el('p', {className: 'error'}, 'Could not load the chart: ' + error.message));
      }
      throw error;
    } finally {
      if (current(generation)) box.classList.remove('is-loading');
    }
  }

  // -- cards --------------------------------------------------------------------------------------------------
  function buildCards() {
    var cards = $('cards');
    cards.replaceChildren.apply(cards, METRICS.map(function (metric) {
      return el('button', {type: 'button', className: 'card', dataset: {metric: metric.key},
        on: {click: function () { navigate({metric: metric.key}, {chartOnly: true}); }}},
      el('span', {className: 'card-label'}, metric.label),
      el('span', {className: 'card-value'}, '–'),
      el('span', {className: 'card-change'}));
    }));
    renderMetricSelection();
  }

  function renderMetricSelection() {
    document.querySelectorAll('.card').forEach(function (card) {
      card.setAttribute('aria-pressed', String(card.dataset.metric === state.view.metric));
    });
    $('chart-title').textContent = METRIC[state.view.metric].label;
  }

  function changeOf(metric, change) {
    if (change === null || change === undefined) return {text: '', tone: '', words: ''};
    var unit = metric.points ? ' pts' : '%';
    var arrow = change > 0 ? '↑ ' : change < 0 ? '↓ ' : '';
    var better = metric.lowerIsBetter ? change < 0 : change > 0;
    return {
      text: arrow + Math.abs(change) + unit,
      tone: change === 0 ? 'flat' : better ? 'good' : 'bad',
      words: (change > 0 ? 'up ' : change < 0 ? 'down ' : 'unchanged ') + (change ? Math.abs(change) + unit : '')
        + ' on the previous period',
    };
  }

  function renderCards(results) {
    METRICS.forEach(function (metric) {
      var card = document.querySelector('.card[data-metric="' + metric.key + '"]');
      var result = results[metric.key] || {value: 0};
      card.dataset.value = String(result.value);
      card.querySelector('.card-value').textContent = metric.format(result.value);
      var change = changeOf(metric, result.change);
      var badge = card.querySelector('.card-change');
      badge.textContent = change.text;
      badge.className = 'card-change ' + change.tone;
      badge.title = result.previous === null || result.previous === undefined ? ''
        : 'Previous period: ' + metric.format(result.previous);
      card.setAttribute('aria-label', metric.label + ': ' + metric.format(result.value)
        + (change.words ? ', ' + change.words : ''));
    });
  }

  function renderCardsError(error) {
    document.querySelectorAll('.card').forEach(function (card) {
      delete card.dataset.value;
      card.querySelector('.card-value').textContent = '–';
      card.querySelector('.card-change').textContent = '';
    });
    showNotice('Could not load the overview: ' + error.message);
  }

  // -- controls -----------------------------------------------------------------------------------------------
  var longDay = new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC'});

  function renderRange(range) {
    var from = T.dayToDate(range.from);
    var to = T.dayToDate(range.to);
    var text = range.from === range.to ? longDay.format(from) : longDay.formatRange(from, to);
    $('range-label').textContent = text + ' · ' + range.tz;
    if (state.view.period === 'custom') return;
    var max = today();
    $('custom-from').value = range.from < max ? range.from : max;
    $('custom-to').value = range.to < max ? range.to : max;
  }

  function renderControls() {
    var view = state.view;
    $('site-picker').value = view.site;
    $('period-picker').value = view.period;
    var custom = view.period === 'custom';
    $('custom-range').hidden = !custom;
    $('period-prev').hidden = custom;
    $('period-next').hidden = custom;
    $('period-next').disabled = !view.date;
    var max = today();
    $('custom-from').max = max;
    $('custom-to').max = max;
    if (custom) {
      $('custom-from').value = view.from;
      $('custom-to').value = view.to;
    }
    document.title = (state.site ? state.site.domain + ' · ' : '') + 'Tally';
  }

  function shifted(view, direction) {
    var anchor = view.date || today();
    switch (view.period) {
      case 'day': return T.addDays(anchor, direction);
      case '7d': return T.addDays(anchor, 7 * direction);
      case '30d': return T.addDays(anchor, 30 * direction);
      case 'month': return T.addMonths(anchor, direction);
      case '6mo': return T.addMonths(anchor, 6 * direction);
      default: return T.addMonths(anchor, 12 * direction);
    }
  }

  function wireControls() {
    $('site-picker').addEventListener('change', function (event) {
      var site = state.sites.find(function (s) { return s.site_id === event.target.value; });
      if (!site) return;
      state.site = site;
      hideNotice();
      navigate({site: site.site_id, date: null});
      refreshRealtime();
    });
    $('period-picker').addEventListener('change', function (event) {
      var period = event.target.value;
      if (period === 'custom') {
        var from = $('custom-from').value;
        var to = $('custom-to').value;
        if (!(T.isDay(from) && T.isDay(to) && from <= to)) {
          to = today();
          from = T.addDays(to, -29);
        }
        navigate({period: 'custom', from: from, to: to});
      } else {
        navigate({period: period, date: null});
      }
    });
    $('period-prev').addEventListener('click', function () { navigate({date: shifted(state.view, -1)}); });
    $('period-next').addEventListener('click', function () { navigate({date: shifted(state.view, 1)}); });
    $('custom-range').addEventListener('submit', function (event) {
      event.preventDefault();
      var from = $('custom-from').value;
      var to = $('custom-to').value;
      if (!(T.isDay(from) && T.isDay(to))) return showNotice('Choose both dates of the custom range.');
      if (from > to) return showNotice('The custom range must start on or before its last day.');
      hideNotice();
      navigate({period: 'custom', from: from, to: to});
    });
    $('sign-out').addEventListener('click', function () {
      T.clearToken();
      showSignIn('You are signed out.');
    });
    $('sign-in-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var token = T.cleanToken($('token-input').value);
      $('token-input').value = '';
      if (!token) return showSignIn('Paste a token first.');
      signIn(token);
    });
    window.addEventListener('popstate', function () {
      if (!state.signedIn || !state.sites.length) return;
      var view = viewFromUrl();
      var site = state.sites.find(function (s) { return s.site_id === view.site; });
      if (site && site !== state.site) {
        state.site = site;
        refreshRealtime();
      }
      view.site = state.site.site_id;
      state.view = view;
      loadAll();
    });
    var lastWidth = 0;
    var pending = false;
    window.addEventListener('resize', function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        var width = $('chart').clientWidth;
        if (width !== lastWidth) {
          lastWidth = width;
          drawChart();
        }
      });
    });
  }

  function showNotice(text) {
    var notice = $('notice');
    notice.textContent = text;
    notice.hidden = false;
  }

  function hideNotice() {
    $('notice').hidden = true;
  }

  // -- chart --------------------------------------------------------------------------------------------------
  var shortDay = new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'short', timeZone: 'UTC'});
  var fullDay = new Intl.DateTimeFormat(undefined,
    {weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC'});
  var shortMonth = new Intl.DateTimeFormat(undefined, {month: 'short', year: '2-digit', timeZone: 'UTC'});
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

  function drawChart() {
    var box = $('chart');
    var series = state.series;
    if (!series) return;
    var metric = METRIC[state.view.metric];
    var points = series.results;
    var interval = series.interval;
    var n = points.length;
    var width = Math.max(240, box.clientWidth);
    var height = width < 560 ? 200 : 260;
    var m = {top: 12, right: 14, bottom: 28, left: 52};
    var w = width - m.left - m.right;
    var h = height - m.top - m.bottom;
    var values = points.map(function (p) { return Number(p[metric.key]) || 0; });
    var ticks = niceTicks(Math.max.apply(null, values.concat([0])), metric.integer);
    var top = ticks[ticks.length - 1];
    var x = function (i) { return m.left + (n > 1 ? i * w / (n - 1) : w / 2); };
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
    if (n) {
      var line = values.map(function (v, j) { return (j ? 'L' : 'M') + x(j).toFixed(1) + ' ' + y(v).toFixed(1); })
        .join(' ');
      root.append(svg('path', {class: 'area',
        d: line + ' L' + x(n - 1).toFixed(1) + ' ' + (m.top + h) + ' L' + x(0).toFixed(1) + ' ' + (m.top + h) + ' Z'}));
      root.append(svg('path', {class: 'line', d: line}));
      if (n === 1) root.append(svg('circle', {class: 'point', cx: x(0), cy: y(values[0]), r: 4}));
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
      var index = n > 1 ? Math.round((px - m.left) / w * (n - 1)) : 0;
      index = Math.min(n - 1, Math.max(0, index));
      var cx = x(index);
      var cy = y(values[index]);
      guide.setAttribute('x1', cx);
      guide.setAttribute('x2', cx);
      focus.setAttribute('cx', cx);
      focus.setAttribute('cy', cy);
      guide.setAttribute('visibility', 'visible');
      focus.setAttribute('visibility', 'visible');
      tip.replaceChildren(el('span', {className: 'tooltip-date'}, pointLabel(points[index].date, interval, true)),
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

  // -- breakdowns -------------------------------------------------------------------------------------------
  var regionNames = (function () {
    try {
      return new Intl.DisplayNames(undefined, {type: 'region'});
    } catch (e) {
      return null;
    }
  })();

  function displayValue(property, value) {
    if (value === '') return '(none)';
    if (property === 'country' && regionNames && /^[A-Z]{2}$/.test(value)) {
      try {
        return regionNames.of(value) || value;
      } catch (e) {
        return value;
      }
    }
    return value;
  }

  function buildPanels() {
    var holder = $('panels');
    holder.replaceChildren.apply(holder, PANELS.map(function (panel) {
      panel.tab = 0;
      panel.seq = 0;
      panel.max = 0;
      panel.node = el('section', {className: 'panel breakdown', id: 'panel-' + panel.id});
      panel.head = el('header', {className: 'panel-head'}, el('h2', null, panel.title));
      if (panel.tabs.length > 1) {
        panel.tabList = el('div', {className: 'tabs', role: 'tablist', 'aria-label': panel.title});
        panel.tabs.forEach(function (tab, index) {
          panel.tabList.append(el('button', {type: 'button', role: 'tab', dataset: {property: tab.property},
            on: {click: function () { selectTab(panel, index); }}}, tab.label));
        });
        panel.head.append(panel.tabList);
      }
      panel.table = el('table', {className: 'rows'});
      panel.more = el('button', {type: 'button', className: 'more', hidden: true,
        on: {click: function () { loadPanel(state.generation, panel, panel.cursor).catch(function () {}); }}},
      'Load more');
      panel.node.append(panel.head, panel.table, panel.more);
      return panel.node;
    }));
  }

  function selectTab(panel, index) {
    if (panel.tab === index) return;
    panel.tab = index;
    loadPanel(state.generation, panel).catch(function () { /* shown in the panel */ });
  }

  function renderPanelHead(panel) {
    var tab = panel.tabs[panel.tab];
    panel.node.dataset.property = tab.property;
    if (panel.tabList) {
      Array.prototype.forEach.call(panel.tabList.children, function (button, index) {
        button.setAttribute('aria-selected', String(index === panel.tab));
      });
    }
    var head = el('tr', null, el('th', {className: 'value', scope: 'col'}, tab.column));
    tab.columns.forEach(function (column) {
      head.append(el('th', {className: 'num col-' + column, scope: 'col'}, COLUMNS[column].label));
    });
    panel.body = el('tbody');
    panel.table.replaceChildren(el('thead', null, head), panel.body);
  }

  function panelMessage(panel, text, className) {
    var tab = panel.tabs[panel.tab];
    panel.body.replaceChildren(el('tr', {className: 'message-row'},
      el('td', {colSpan: tab.columns.length + 1, className: className || 'muted'}, text)));
  }

  function appendRows(panel, rows) {
    var tab = panel.tabs[panel.tab];
    if (!panel.max) panel.max = Math.max.apply(null, rows.map(function (r) { return r.visitors; }).concat([1]));
    rows.forEach(function (row) {
      var label = displayValue(tab.property, row.value);
      var bar = el('span', {className: 'bar', 'aria-hidden': 'true'});
      bar.style.width = Math.max(0.5, Math.min(100, row.visitors / panel.max * 100)) + '%';
      var tr = el('tr', null, el('td', {className: 'value', title: row.value || '(none)'},
        bar, el('span', {className: 'label'}, label)));
      tab.columns.forEach(function (column) {
        var value = row[column];
        tr.append(el('td', {className: 'num col-' + column},
          value === null || value === undefined ? '–' : COLUMNS[column].format(value)));
      });
      panel.body.append(tr);
    });
  }

  /** The first page of a panel's breakdown (or, with `cursor`, the next one appended). */
  async function loadPanel(generation, panel, cursor) {
    var seq = ++panel.seq;
    var tab = panel.tabs[panel.tab];
    var isCurrent = function () { return current(generation) && seq === panel.seq; };
    if (!cursor) {
      panel.max = 0;
      renderPanelHead(panel);
      panelMessage(panel, 'Loading…');
      panel.more.hidden = true;
    } else {
      panel.more.disabled = true;
      panel.more.textContent = 'Loading…';
    }
    panel.node.classList.add('is-loading');
    try {
      var data = await T.api(statsPath('breakdown'), params(state.range.concat([
        ['property', tab.property], ['limit', ROWS_PER_PAGE], ['cursor', cursor || null]])));
      if (!isCurrent()) return;
      if (!cursor) panel.body.replaceChildren();
      if (!cursor && !data.results.length) panelMessage(panel, 'No data for this period');
      appendRows(panel, data.results);
      panel.cursor = data.next_cursor;
      panel.more.hidden = !data.next_cursor;
    } catch (error) {
      if (isCurrent()) {
        if (cursor) panel.body.append(el('tr', {className: 'message-row'},
          el('td', {colSpan: tab.columns.length + 1, className: 'error'}, error.message)));
        else panelMessage(panel, 'Could not load: ' + error.message, 'error');
      }
      throw error;
    } finally {
      if (isCurrent()) {
        panel.node.classList.remove('is-loading');
        panel.more.disabled = false;
        panel.more.textContent = 'Load more';
      }
    }
  }

  // -- realtime and failures, every 30 s -------------------------------------------------------------------
  async function refreshRealtime() {
    if (!state.site || !state.signedIn) return;
    var site = state.site;
    var text = $('realtime-text');
    var pill = $('realtime');
    try {
      var data = await T.api(statsPath('realtime'));
      if (site !== state.site) return;
      text.textContent = T.formatCount(data.visitors) + (data.visitors === 1 ? ' current visitor' : ' current visitors');
      pill.dataset.count = String(data.visitors);
      pill.classList.toggle('live', data.visitors > 0);
      pill.title = data.pages.length
        ? 'Visitors in the last 5 minutes, on: ' + data.pages.map(function (p) {
          return p.page + ' (' + p.visitors + ')';
        }).join(', ')
        : 'Visitors with an event in the last 5 minutes';
    } catch (error) {
      if (site !== state.site || error.status === 401) return;
      text.textContent = 'realtime unavailable';
      delete pill.dataset.count;
      pill.title = error.message;
    }
  }

  async function refreshFailures() {
    if (!state.signedIn) return;
    var badge = $('failures');
    try {
      var data = await T.api('/api/v1/ops/failures', params([['since', '24h']]));
      badge.textContent = T.formatCount(data.count) + (data.count === 1 ? ' failure' : ' failures') + ' · 24h';
      badge.dataset.count = String(data.count);
      badge.classList.toggle('bad', data.count > 0);
      badge.classList.toggle('ok', data.count === 0);
      var kinds = Object.keys(data.by_kind || {}).filter(function (k) { return data.by_kind[k] > 0; });
      badge.title = 'Failed operations in the last 24 hours'
        + (kinds.length ? ': ' + kinds.map(function (k) { return k + ' ' + data.by_kind[k]; }).join(', ') : '');
    } catch (error) {
      if (error.status === 401) return;
      badge.textContent = 'failures ?';
      delete badge.dataset.count;
      badge.classList.remove('ok', 'bad');
      badge.title = 'Could not count failures: ' + error.message;
    }
  }

  function poll() {
    state.lastPoll = Date.now();
    refreshRealtime();
    refreshFailures();
  }

  function startPolling() {
    stopPolling();
    refreshFailures();
    state.lastPoll = Date.now();
    state.pollTimer = setInterval(function () { if (!document.hidden) poll(); }, POLL_MS);
  }

  function stopPolling() {
    if (state.pollTimer) clearInterval(state.pollTimer);
    state.pollTimer = null;
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && state.signedIn && Date.now() - state.lastPoll >= POLL_MS) poll();
  });

  // -- boot ---------------------------------------------------------------------------------------------------
  T.onUnauthenticated(function (error) {
    if (!state.signedIn) return;
    T.clearToken();
    showSignIn('Tally did not accept your token (' + error.message + '). Sign in again.');
  });
  buildCards();
  buildPanels();
  wireControls();
  T.takeTokenFromFragment();
  var token = T.token();
  if (token) signIn(token);
  else showSignIn('');
})();
