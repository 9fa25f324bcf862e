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

  var PERIODS = ['day', '7d', '30d', 'month', '6mo', '12mo', 'custom'];
  var DEFAULT_PERIOD = '30d';
  var POLL_MS = 30000;
  var ROWS_PER_PAGE = 10;
  var MAX_HOURLY_DAYS = 31;
  var MAX_NAME = 120;  // the longest event name (a goal) ingest takes
  var MAX_PROP_KEY = 300;  // and prop key

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
    {id: 'goals', title: 'Goals', tabs: [
      {label: 'Goals', property: 'goal', column: 'Goal', columns: ['visitors', 'events', 'conversion_rate'],
        labels: {visitors: 'Uniques', events: 'Total'},
        titles: {visitors: 'Unique conversions: visitors who completed the goal', events: 'Total conversions',
          conversion_rate: 'Conversion rate: unique conversions / visitors of the period'},
        // a click on a goal: its own properties (filters=event:goal==<name>), keys then values
        drill: {property: 'event:props', column: 'Property'}},
    ]},
  ];

  var $ = function (id) { return document.getElementById(id); };

  var state = {
    sites: [],
    site: null,
    view: {site: null, period: DEFAULT_PERIOD, date: null, from: null, to: null, metric: 'visitors'},
    generation: 0,
    series: null,
    panels: [],
    panelSite: null,
    range: null,
    pollTimer: null,
    lastPoll: 0,
    signedIn: false,
    pending: null,      // the most hours an answer of this view left out: {hours, retry_after_s}
    retryTimer: null,
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
      goal: (q.get('goal') || '').slice(0, MAX_NAME) || null,  // the goal whose properties show
      prop: q.get('goal') ? (q.get('prop') || '').slice(0, MAX_PROP_KEY) || null : null,  // and its chosen key
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
    if (view.goal) q.set('goal', view.goal);
    if (view.goal && view.prop) q.set('prop', view.prop);
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
    $('nav').hidden = true;
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
    $('nav').hidden = false;
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
      $('empty-state').hidden = false;
      $('empty-state').querySelector('p').textContent = T.isAdmin()
        ? 'Your organisation has no sites yet. Add one and paste its snippet: it takes a minute.'
        : 'Your organisation has no sites yet. An org admin can add one on the Sites page.';
      setState('empty');
      return;
    }
    $('empty-state').hidden = true;
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
    clearTimeout(state.retryTimer);
    state.pending = null;
    renderProcessing();
    var siteId = state.site && state.site.site_id;
    if (state.panelSite !== siteId) {  // another site: a goal shown with its properties is not its goal
      if (state.panelSite !== null && state.view.goal) {
        state.view.goal = state.view.prop = null;
        history.replaceState(null, '', urlOf(state.view));
      }
      state.panels.forEach(function (panel) { panel.restore(state.view.goal, state.view.prop); });
      state.panelSite = siteId;
    }
    var jobs = [loadOverview(generation, range), loadChart(generation, range)]
      .concat(state.panels.map(function (panel) { return panel.load(); }));
    Promise.allSettled(jobs).then(function (results) {
      if (generation !== state.generation) return;
      setState(results.some(function (r) { return r.status === 'rejected'; }) ? 'error' : 'ready');
      if (state.pending) {  // ask again once the sealer had time for the pending hours
        state.retryTimer = setTimeout(function () {
          if (generation === state.generation && state.signedIn) loadAll();
        }, state.pending.retry_after_s * 1000);
      }
    });
  }

  // An answer with `complete: false` counts everything but its pending hours (still being
  // processed, e.g. right after an import): say so, and load the view again after retry_after_s.
  function noteCompleteness(generation, data) {
    if (current(generation) && data && data.complete === false && data.pending) {
      if (!state.pending || data.pending.hours > state.pending.hours) state.pending = data.pending;
      renderProcessing();
    }
    return data;
  }

  function renderProcessing() {
    var box = $('processing');
    var pending = state.pending;
    box.hidden = !pending;
    if (!pending) return;
    var hours = T.formatCount(pending.hours) + (pending.hours === 1 ? ' hour' : ' hours');
    box.textContent = 'Processing ' + hours + ' of events: the figures below leave '
      + (pending.hours === 1 ? 'it' : 'them') + ' out for now and update by themselves.';
  }

  function current(generation) {
    return generation === state.generation && state.signedIn;
  }

  async function loadOverview(generation, range) {
    var cards = $('cards');
    cards.setAttribute('aria-busy', 'true');
    cards.classList.add('is-loading');
    try {
      var data = noteCompleteness(generation, await T.api(statsPath('overview'),
        params(range.concat([['compare', 'previous_period']]))));
      if (!current(generation)) return;
      state.previousUntil = data.previous_until || null;
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
      var data = noteCompleteness(generation, await T.api(statsPath('timeseries'),
        params(range.concat([['interval', interval]]))));
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
        on: {click: function () { navigate({metric: metric.key}, {chartOnly: true, replace: true}); }}},
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

  function changeOf(metric, change, compared) {
    if (compared && (change === null || change === undefined)) {  // nothing to compare with: no percentage
      return {text: '—', tone: 'none', words: 'no data in the previous period to compare with'};
    }
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
      var change = changeOf(metric, result.change, result.previous !== null && result.previous !== undefined);
      var badge = card.querySelector('.card-change');
      badge.textContent = change.text;
      badge.className = 'card-change ' + change.tone;
      badge.title = result.previous === null || result.previous === undefined ? ''
        : 'Previous period' + (state.previousUntil ? ' (the same part of it so far)' : '') + ': '
          + metric.format(result.previous);
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
    $('export-button').addEventListener('click', startExport);
    $('failures').addEventListener('click', function () { toggleFailureDetail(); });
    document.addEventListener('keydown', function (event) { if (event.key === 'Escape') toggleFailureDetail(false); });
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
      state.panels.forEach(function (panel) { panel.restore(view.goal, view.prop); });
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

  // -- export -------------------------------------------------------------------------------------------------
  var EXPORT_POLL_MS = 1000;

  async function startExport() {
    var button = $('export-button');
    var status = $('export-status');
    var progress = $('export-progress');
    var site = state.site;
    button.disabled = true;
    status.textContent = 'Starting export…';
    try {
      var accepted = await T.send('POST', '/api/v1/sites/' + encodeURIComponent(site.site_id) + '/exports?'
        + params(rangeParams()).toString());
      for (;;) {
        var job = await T.api('/api/v1/exports/' + encodeURIComponent(accepted.export_id));
        progress.hidden = false;
        progress.max = job.days;
        progress.value = job.days_done;
        if (job.status === 'ready') {
          progress.hidden = true;
          status.replaceChildren(el('a', {href: job.download_url, download: job.file_name, id: 'export-download'},
            'Download ' + job.file_name), ' (' + T.formatCount(Math.ceil(job.size / 1024)) + ' KB)');
          break;
        }
        if (job.status === 'failed') {
          progress.hidden = true;
          status.textContent = 'The export failed; try again.';
          break;
        }
        status.textContent = 'Exporting ' + job.days_done + ' of ' + job.days + (job.days === 1 ? ' day' : ' days') + '…';
        await new Promise(function (resolve) { setTimeout(resolve, EXPORT_POLL_MS); });
      }
    } catch (error) {
      progress.hidden = true;
      if (error.status !== 401) status.textContent = 'Could not export: ' + error.message;
    } finally {
      button.disabled = false;
    }
  }

  // -- chart --------------------------------------------------------------------------------------------------
  function drawChart() {
    if (state.series) {
      T.drawChart($('chart'), state.series.results, state.series.interval, METRIC[state.view.metric],
        state.series.current_point);
    }
  }

  // -- breakdowns -------------------------------------------------------------------------------------------
  function buildPanels() {
    state.panels = PANELS.map(function (config) {
      return new T.BreakdownPanel(config, function (property, cursor, filters) {
        var generation = state.generation;
        return T.api(statsPath('breakdown'), params(state.range.concat([
          ['property', property], ['limit', ROWS_PER_PAGE], ['cursor', cursor], ['filters', filters]])))
          .then(function (data) { return noteCompleteness(generation, data); });
      }, function (goal, key) {  // the open goal and its key go in the address: a reload or a shared link keeps them
        state.view.goal = goal;
        state.view.prop = goal ? key : null;
        history.replaceState(null, '', urlOf(state.view));
      });
    });
    var holder = $('panels');
    holder.replaceChildren.apply(holder, state.panels.map(function (panel) { return panel.node; }));
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

  // The failure badge is an operator's alarm: org admins (and platform staff) only, read from the
  // signed-in JWT's roles (an API key's roles are not known to the page: no badge). The API still
  // decides what each caller may read; this only keeps an ops alarm off a site owner's traffic view.
  function seesFailures() {
    return T.isAdmin();
  }

  var FAILURE_KINDS = ['ingest', 'aggregation', 'job', 'email', 'export', 'api', 'cache'];

  async function refreshFailures() {
    if (!state.signedIn) return;
    var holder = $('failures-holder');
    holder.hidden = !seesFailures();
    if (holder.hidden) return;
    var badge = $('failures');
    try {
      var data = await T.api('/api/v1/ops/failures', params([['since', '24h']]));
      badge.textContent = T.formatCount(data.count) + (data.count === 1 ? ' failure' : ' failures') + ' · 24h';
      badge.dataset.count = String(data.count);
      badge.classList.toggle('bad', data.count > 0);
      var byKind = data.by_kind || {};
      var detail = $('failures-detail');
      detail.replaceChildren(el('strong', null, 'Failed operations, last 24 hours'),
        el('ul', null, ...FAILURE_KINDS.concat(Object.keys(byKind).filter(function (k) {
          return FAILURE_KINDS.indexOf(k) < 0;
        })).map(function (kind) {
          var count = byKind[kind] || 0;
          return el('li', {className: count ? 'bad' : '', dataset: {kind: kind, count: String(count)}},
            el('span', null, kind), el('span', {className: 'num'}, T.formatCount(count)));
        })));
    } catch (error) {
      if (error.status === 401) return;
      badge.textContent = 'failures ?';
      delete badge.dataset.count;
      badge.classList.remove('bad');
      badge.title = 'Could not count failures: ' + error.message;
    }
  }

  function toggleFailureDetail(open) {
    var detail = $('failures-detail');
    var show = open === undefined ? detail.hidden : open;
    detail.hidden = !show;
    $('failures').setAttribute('aria-expanded', String(show));
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
