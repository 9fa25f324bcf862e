/* The page at `/me/stats`: the signed-in user's own sessions, usage, data access and exports, in four tabs.
 *
 * Each tab loads from its endpoint the first time it is shown and keeps what it loaded when the user
 * switches back (tables grow by cursor with "Load more"). The tab lives in the query string
 * (`/me/stats?tab=usage`), so a reload shows the same one. Every answer is scoped to the caller by the
 * API (the user id comes from the token), never by anything this page sends.
 */
(function () {
  'use strict';

  var T = window.Tally;
  var el = T.el;
  var $ = function (id) { return document.getElementById(id); };
  var TABS = ['sessions', 'usage', 'queries', 'exports'];
  var asked = Number(new URLSearchParams(location.search).get('limit'));
  var PAGE_SIZE = asked >= 1 && asked <= 100 ? Math.floor(asked) : 25;  // rows per page; `?limit=` in the URL
  var state = {tab: null, loaded: {}, usage: null};

  var units = function (v) { return (Math.round(Number(v) * 10) / 10).toLocaleString(); };
  var count = function (v) { return T.formatCount(Number(v) || 0); };
  var time = function (v) { return v ? T.formatTime(v) : '–'; };
  var clock = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit'});
  /** `later` as a time of day when it falls on `earlier`'s day (a session's last seen), else in full. */
  var laterTime = function (earlier, later) {
    var a = new Date(earlier), b = new Date(later);
    return earlier && later && a.toDateString() === b.toDateString() ? clock.format(b) : time(later);
  };
  /** `el` with its children given as a list. */
  var all = function (tag, props, children) { return el.apply(null, [tag, props].concat(children)); };

  // -- a table that loads more rows by cursor ----------------------------------------------------------------
  /**
   * `columns`: [{label, cell(row) → text or node, num, wraps (may wrap on a desktop), long (a whole line of a
   * phone's card)}]; `fetchPage(cursor)` → {rows, next_cursor};
   * `rowsOf(answer)` picks the rows out of an answer.
   */
  function PagedTable(columns, fetchPage, rowsOf, emptyText) {
    this.columns = columns;
    this.fetchPage = fetchPage;
    this.rowsOf = rowsOf;
    this.emptyText = emptyText;
    this.cursor = null;
    this.body = el('tbody');
    this.more = el('button', {type: 'button', className: 'more', hidden: true,
      on: {click: this.load.bind(this)}}, 'Load more');
    this.node = el('div', {className: 'paged'},
      el('div', {className: 'scroll'}, el('table', {className: 'rows wide'},
        el('thead', null, all('tr', null, columns.map(function (c) {
          return el('th', {className: c.num ? 'num' : '', scope: 'col'}, c.label);
        }))), this.body)),
      this.more);
  }

  PagedTable.prototype.message = function (text, isError) {
    this.body.append(el('tr', {className: 'message-row'},
      el('td', {colSpan: this.columns.length, className: isError ? 'error' : 'muted'}, text)));
  };

  PagedTable.prototype.load = async function () {
    var table = this;
    table.more.disabled = true;
    try {
      var answer = await table.fetchPage(table.cursor);
      var rows = table.rowsOf(answer);
      if (!rows.length && !table.body.children.length) table.message(table.emptyText);
      rows.forEach(function (row) {
        table.body.append(all('tr', null, table.columns.map(function (c) {
          var classes = [c.num ? 'num' : '', c.wraps ? 'wraps' : '', c.long ? 'long' : ''].filter(Boolean);
          return el('td', {className: classes.join(' '), dataset: {label: c.label}}, c.cell(row));
        })));
      });
      table.cursor = answer.next_cursor || null;
      table.more.hidden = !table.cursor;
      return answer;
    } catch (error) {
      if (error.status !== 401) table.message('Could not load: ' + error.message, true);
      throw error;
    } finally {
      table.more.disabled = false;
    }
  };

  function panel(title, body, caption) {
    return el('section', {className: 'panel'},
      el('header', {className: 'panel-head'}, el('h2', null, title), caption ? el('span', {className: 'muted'}, caption) : null),
      body);
  }

  function staticTable(columns, rows, emptyText) {
    var table = new PagedTable(columns, function () { return Promise.resolve({rows: rows}); },
      function (a) { return a.rows; }, emptyText);
    table.load();
    return table.node;
  }

  // -- the tabs -------------------------------------------------------------------------------------------------
  var LOADERS = {
    sessions: function (box) {
      var table = new PagedTable([
        {label: 'Session', cell: function (s) {
          return el('span', {title: s.id}, s.kind === 'key' ? 'API key ' + (s.key_id || s.id)
            : 'Sign-in · ' + s.id.slice(0, 8));
        }},
        {label: 'Client', wraps: true, cell: function (s) { return s.client || '–'; }},
        {label: 'Country', cell: function (s) { return s.country || '–'; }},
        {label: 'First seen', long: true, cell: function (s) { return time(s.first_seen); }},
        {label: 'Last seen', cell: function (s) { return laterTime(s.first_seen, s.last_seen); }},
        {label: 'Requests', num: true, cell: function (s) { return count(s.requests); }},
        {label: 'Errors', num: true, cell: function (s) { return count(s.errors); }},
        {label: 'Read units', num: true, cell: function (s) { return units(s.read_units); }},
        {label: 'Write units', num: true, cell: function (s) { return units(s.write_units); }},
        {label: '', cell: revokeCell},
      ], function (cursor) {
        return T.api('/api/v1/me/stats/sessions', query([['limit', PAGE_SIZE], ['cursor', cursor]]));
      }, function (a) { return a.sessions; }, 'No sessions recorded yet.');
      box.replaceChildren(panel('Sessions', table.node, 'Newest first'));
      return table.load();
    },

    usage: async function (box) {
      var data = await T.api('/api/v1/me/stats/usage', query([['days', 30]]));
      state.usage = data;
      var chart = el('div', {className: 'chart', id: 'usage-chart'});
      var totals = data.totals || {};
      var cards = all('div', {className: 'cards'}, [
        ['Requests', count(totals.requests)], ['Errors', count(totals.errors)],
        ['Read units', units(totals.read_units)], ['Write units', units(totals.write_units)],
      ].map(function (card) {
        return el('div', {className: 'card static'}, el('span', {className: 'card-label'}, card[0]),
          el('span', {className: 'card-value'}, card[1]));
      }));
      var unitColumns = [
        {label: 'Requests', num: true, cell: function (r) { return count(r.requests); }},
        {label: 'Errors', num: true, cell: function (r) { return count(r.errors); }},
        {label: 'Read units', num: true, cell: function (r) { return units(r.read_units); }},
        {label: 'Write units', num: true, cell: function (r) { return units(r.write_units); }},
      ];
      box.replaceChildren(
        el('p', {className: 'muted lifetime'}, totals.first_seen
          ? 'Lifetime totals since ' + time(totals.first_seen) : 'Lifetime totals'),
        cards,
        panel('Requests per day', chart, 'Last ' + data.days + ' days (UTC)'),
        // Route templates are long: the endpoint table takes the full width, the two short ones share a row.
        panel('By endpoint', staticTable([{label: 'Endpoint', cell: function (r) { return el('code', null, r.route); }}]
          .concat(unitColumns), data.by_endpoint, 'No requests in these days.')),
        el('div', {className: 'panels'},
          panel('By API key', staticTable([{label: 'API key', cell: function (r) { return r.key_id; }}]
            .concat(unitColumns), data.by_api_key, 'No API-key requests in these days.')),
          panel('Biggest sessions', staticTable([{label: 'Session', cell: function (r) {
            return el('span', {title: r.id}, (r.kind === 'key' ? 'API key · ' : 'Sign-in · ') + r.id.slice(0, 8));
          }}].concat(unitColumns), data.top_sessions, 'No sessions in these days.'))));
      drawUsage();
    },

    queries: function (box) {
      var filter = all('select', {id: 'action-filter', 'aria-label': 'Action'},
        [['', 'All reads'], ['stats.', 'Stats'], ['ops.', 'Failure counts'], ['analytics.', 'Code analytics'],
          ['export.', 'Exports']].map(function (o) { return el('option', {value: o[0]}, o[1]); }));
      var holder = el('div');
      function reload() {
        var table = new PagedTable([
          {label: 'Time', cell: function (r) { return time(r.timestamp); }},
          {label: 'Action', long: true, cell: function (r) { return el('code', null, r.action); }},
          {label: 'Resource', cell: function (r) {
            var res = r.resource || {};
            return el('span', {title: (res.kind || '') + ' ' + (res.id || '')}, res.name || res.id || '–');
          }},
          {label: 'Result', cell: function (r) { return el('span', {className: r.result === 'ok' ? '' : 'error'}, r.result); }},
          {label: 'Duration', num: true, cell: function (r) { return count(r.duration_ms) + ' ms'; }},
          {label: 'Read units', num: true, cell: function (r) { return units(r.read_units); }},
        ], function (cursor) {
          return T.api('/api/v1/me/stats/queries', query([['limit', PAGE_SIZE], ['cursor', cursor],
            ['action', filter.value || null]]));
        }, function (a) { return a.rows; }, 'No data access recorded yet.');
        holder.replaceChildren(table.node);
        return table.load();
      }
      filter.addEventListener('change', function () { reload().catch(function () {}); });
      var head = el('div', {className: 'panel-tools'}, el('label', null, el('span', {className: 'sr-only'}, 'Action'), filter));
      box.replaceChildren(panel('Data access', el('div', null, head, holder), 'Your reads, newest first'));
      return reload();
    },

    exports: async function (box) {
      var header = el('p', {className: 'last-export', id: 'last-export'}, 'Loading…');
      var table = new PagedTable([
        {label: 'Time', cell: function (r) { return time(r.timestamp); }},
        {label: 'Activity', cell: activityCell},
        {label: 'Site or codebase', long: true, cell: function (r) {
          return el('span', {title: r.site_id || r.codebase_id}, r.resource || r.site_id || r.codebase_id);
        }},
        {label: 'Export', long: true, cell: function (r) { return r.export_id ? el('code', null, r.export_id) : '–'; }},
        {label: 'Accepted', num: true, cell: function (r) { return r.accepted === null ? '–' : count(r.accepted); }},
        {label: 'Rejected', num: true, cell: function (r) { return r.rejected === null ? '–' : count(r.rejected); }},
      ], function (cursor) {
        return T.api('/api/v1/me/stats/exports', query([['limit', PAGE_SIZE], ['cursor', cursor]]));
      }, function (a) { return a.rows; }, 'No exports, imports or code analytics reads yet.');
      box.replaceChildren(header, panel('Export activity', table.node,
        'Exports requested and downloaded, imports, code analytics reads'));
      var answer = await table.load();
      var last = answer.last_export;
      header.replaceChildren(last
        ? el('span', null, 'Last export: ', el('strong', null, time(last.requested_at)),
          ' · ' + (last.domain || 'expired') + (last.status ? ' · ' + last.status : ''))
        : 'No export yet: the dashboard\'s Export button makes one.');
    },
  };

  var ACTIVITY = {'export.requested': 'Export requested', 'export.download': 'Export downloaded',
    'import.events': 'Events imported'};
  var ANALYTICS = 'analytics.';

  // A code analytics read (`analytics.overview`, …) is named by its read; a refused or failed one shows its error.
  function activityCell(r) {
    var label = ACTIVITY[r.action] ||
      (r.action.indexOf(ANALYTICS) === 0 ? 'Code analytics: ' + r.action.slice(ANALYTICS.length) : r.action);
    return r.result && r.result !== 'ok'
      ? el('span', null, label + ' ', el('span', {className: 'error'}, r.result)) : label;
  }

  function revokeCell(session) {
    if (session.current) return el('span', {className: 'pill'}, 'This session');
    if (session.kind !== 'token') return '';
    var button = el('button', {type: 'button', className: 'revoke'}, 'Revoke');
    button.addEventListener('click', async function () {
      button.disabled = true;
      try {
        await T.send('DELETE', '/api/v1/me/sessions/' + encodeURIComponent(session.id));
        button.replaceWith(el('span', {className: 'muted revoked'}, 'Revoked'));
      } catch (error) {
        button.disabled = false;
        button.title = error.message;
      }
    });
    return button;
  }

  function query(pairs) {
    var q = new URLSearchParams();
    pairs.forEach(function (pair) { if (pair[1] !== null && pair[1] !== undefined) q.append(pair[0], pair[1]); });
    return q;
  }

  function drawUsage() {
    var box = $('usage-chart');
    if (!box || !state.usage || state.tab !== 'usage') return;
    T.drawChart(box, state.usage.daily.map(function (d) { return {date: d.date, requests: d.requests}; }), 'day',
      {key: 'requests', label: 'Requests', format: T.formatCount, integer: true}, null, 'bars');
  }

  // -- tabs -------------------------------------------------------------------------------------------------
  function show(tab, push) {
    if (TABS.indexOf(tab) < 0) tab = TABS[0];
    state.tab = tab;
    TABS.forEach(function (name) {
      var selected = name === tab;
      $('tab-' + name).setAttribute('aria-selected', String(selected));
      $('tab-' + name).tabIndex = selected ? 0 : -1;
      $('panel-' + name).hidden = !selected;
    });
    var url = location.pathname + '?tab=' + tab + (PAGE_SIZE !== 25 ? '&limit=' + PAGE_SIZE : '');
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    var box = $('panel-' + tab);
    if (!state.loaded[tab]) {
      state.loaded[tab] = true;
      box.dataset.state = 'loading';
      box.replaceChildren(el('p', {className: 'muted'}, 'Loading…'));
      Promise.resolve().then(function () { return LOADERS[tab](box); }).then(function () {
        box.dataset.state = 'ready';
      }, function (error) {
        if (error && error.status === 401) return;
        box.dataset.state = 'error';
        if (!box.querySelector('.paged')) {
          box.replaceChildren(el('p', {className: 'notice'}, 'Could not load this tab: ' + (error && error.message)));
        }
      });
    } else if (tab === 'usage') {
      drawUsage();
    }
  }

  function wire() {
    TABS.forEach(function (name, index) {
      var button = $('tab-' + name);
      button.addEventListener('click', function () { show(name, true); });
      button.addEventListener('keydown', function (event) {
        var step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
        if (!step) return;
        var next = TABS[(index + step + TABS.length) % TABS.length];
        show(next, true);
        $('tab-' + next).focus();
      });
    });
    window.addEventListener('popstate', function () {
      show(new URLSearchParams(location.search).get('tab'), false);
    });
    var lastWidth = 0;
    window.addEventListener('resize', function () {
      var box = $('usage-chart');
      if (box && box.clientWidth !== lastWidth) {
        lastWidth = box.clientWidth;
        drawUsage();
      }
    });
    $('sign-out').addEventListener('click', function () {
      T.clearToken();
      showSignIn('You are signed out.');
    });
  }

  function showSignIn(message) {
    $('me').hidden = true;
    $('status').hidden = true;
    $('sign-in').hidden = false;
    var box = $('sign-in-message');
    box.textContent = message || '';
    box.hidden = !message;
  }

  function whoText(token) {
    if (token.indexOf('tly_') === 0) return 'API key';
    var claims = T.claimsOf(token) || {};
    return [claims.sub, claims.org_id].filter(Boolean).join(' · ');
  }

  T.onUnauthenticated(function (error) {
    T.clearToken();
    showSignIn('Tally did not accept your token (' + error.message + '). Sign in again.');
  });
  wire();
  T.takeTokenFromFragment();
  var token = T.token();
  if (!token) {
    showSignIn('');
    return;
  }
  $('who').textContent = whoText(token);
  $('status').hidden = false;
  $('me').hidden = false;
  show(new URLSearchParams(location.search).get('tab'), false);
})();
