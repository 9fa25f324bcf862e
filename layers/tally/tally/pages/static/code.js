/* The code analytics page at `/code`: the codebases the signed-in user may see, and (`?codebase=ID`)
 * one codebase — overview cards, weekly commits (the dashboard's chart), a weekday × hour punch card,
 * contributors with surviving lines and the bus factor, branches ahead/behind the default one, and a
 * progress bar that follows a mining run (status polled every 2 s) and reloads the figures at its end.
 */
(function () {
  'use strict';

  var T = window.Tally;
  var el = T.el;
  var $ = function (id) { return document.getElementById(id); };
  var WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  var when = new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'short', year: 'numeric'});
  var COMMITS = {key: 'commits', label: 'Commits', format: T.formatCount, integer: true};
  var state = {codebase: null, weekly: [], cursors: {}};

  function showNotice(text) {
    $('notice').textContent = text;
    $('notice').hidden = !text;
  }

  function day(text) { return text ? when.format(new Date(text)) : '—'; }
  function count(v) { return v === null || v === undefined ? '—' : T.formatCount(v); }

  function card(label, value) {
    return el('div', {className: 'card panel'}, el('span', {className: 'card-label'}, label),
      el('span', {className: 'card-value'}, value));
  }

  async function loadList() {
    try {
      var [summary, list] = await Promise.all([T.api('/api/v1/analytics/summary'),
        T.api('/api/v1/analytics/codebases')]);
    } catch (error) {
      if (error.status === 403) {
        $('list-view').hidden = true;  // no empty table for someone who may see none
        showNotice('Code analytics are for org admins and codebase admins: ask an org admin to make you ' +
          'the admin of a codebase.');
      } else {
        showNotice('Could not load code analytics: ' + error.message);
      }
      return;
    }
    var cards = $('summary-cards');
    cards.replaceChildren(card('Codebases', count(summary.codebases)), card('Commits', count(summary.total_commits)),
      card('Contributors', count(summary.total_contributors)), card('Churn', count(summary.total_churn)));
    $('no-codebases').hidden = list.codebases.length > 0;
    $('codebases-table').hidden = !list.codebases.length;
    var body = $('codebases').tBodies[0];
    body.replaceChildren.apply(body, list.codebases.map(function (c) {
      return el('tr', {dataset: {codebaseId: c.codebase_id}},
        el('td', {}, el('a', {href: '/code?codebase=' + encodeURIComponent(c.codebase_id)}, c.name)),
        el('td', {className: 'num'}, count(c.total_commits)), el('td', {className: 'num'}, count(c.total_contributors)),
        el('td', {className: 'num'}, count(c.total_churn)), el('td', {}, c.primary_language || '—'),
        el('td', {}, day(c.mined_at)), el('td', {}, c.state || 'never mined'));
    }));
  }

  async function loadCodebase(id) {
    $('list-view').hidden = true;
    $('codebase-view').hidden = false;
    var base = '/api/v1/codebases/' + encodeURIComponent(id) + '/analytics/';
    var status = null;
    try {
      status = await T.api(base + 'status');
    } catch (error) {
      if (error.status !== 404) { showNotice('Could not load this codebase: ' + error.message); return; }
    }
    showRun(status);
    if (status && (status.state === 'queued' || status.state === 'running')) {
      setTimeout(function () { follow(id, base); }, 2000);
    }
    try {
      var [overview, activity] = await Promise.all([T.api(base + 'overview'), T.api(base + 'activity')]);
    } catch (error) {
      $('codebase-name').textContent = 'Not mined yet';
      if (error.status !== 404) showNotice('Could not load this codebase: ' + error.message);
      return;
    }
    state.codebase = id;
    $('codebase-name').textContent = overview.full_name;
    document.title = overview.full_name + ' · Code · Tally';
    $('cards').replaceChildren(card('Commits', count(overview.total_commits)),
      card('Contributors', count(overview.total_contributors)), card('Churn', count(overview.total_churn)),
      card('Net lines', count(overview.net_sloc)), card('Lines at HEAD', count(overview.total_lines)),
      card('Files', count(overview.total_files)), card('Branches', count(overview.total_branches)),
      card('Language', overview.primary_language || '—'));
    state.weekly = everyWeek(activity.weekly);
    drawWeekly();
    drawPunch(activity.commits_by_weekday_hour_utc || {});
    await Promise.all([page(base, 'ownership', 'contributors', true), page(base, 'branches', 'branches', true)]);
  }

  /** Every week from the first to the last with commits, the weeks without any at 0. */
  function everyWeek(weekly) {
    var points = [];
    var byWeek = {};
    weekly.forEach(function (w) { byWeek[w.week] = w.commits; });
    if (!weekly.length) return points;
    for (var week = weekly[0].week; week <= weekly[weekly.length - 1].week && points.length < 2000;
      week = T.addDays(week, 7)) {
      points.push({date: week, commits: byWeek[week] || 0});
    }
    return points;
  }

  function drawWeekly() {
    if (state.weekly.length) T.drawChart($('chart'), state.weekly, 'week', COMMITS);
  }

  function drawPunch(matrix) {
    var max = 1;
    WEEKDAYS.forEach(function (d) { (matrix[d] || []).forEach(function (v) { max = Math.max(max, v); }); });
    var head = el('tr', {}, el('th', {}, ''));
    for (var h = 0; h < 24; h++) head.append(el('th', {className: 'punch-hour'}, h % 3 === 0 ? String(h) : ''));
    var rows = WEEKDAYS.map(function (d) {
      var row = el('tr', {}, el('th', {}, d));
      (matrix[d] || new Array(24).fill(0)).forEach(function (v, hour) {
        var size = v ? 1 + Math.ceil(4 * v / max) : 0;
        row.append(el('td', {title: d + ' ' + String(hour).padStart(2, '0') + ':00 UTC: ' + v + ' commits'},
          el('span', {className: 'dot dot-' + size})));
      });
      return row;
    });
    var body = el('tbody', {});
    rows.forEach(function (r) { body.append(r); });
    $('punch').replaceChildren(el('thead', {}, head), body);
  }

  async function page(base, name, field, first) {
    var q = new URLSearchParams({limit: '25'});
    if (!first && state.cursors[name]) q.set('cursor', state.cursors[name]);
    var answer;
    try {
      answer = await T.api(base + name, q);
    } catch (error) {
      showNotice('Could not load ' + name + ': ' + error.message);
      return;
    }
    state.cursors[name] = answer.next_cursor;
    var body = $(field).tBodies[0];
    var rows = answer[field].map(field === 'contributors' ? contributorRow : branchRow);
    if (first) body.replaceChildren.apply(body, rows); else rows.forEach(function (r) { body.append(r); });
    var more = $('more-' + field);
    more.hidden = !answer.next_cursor;
    more.onclick = function () { page(base, name, field, false); };
    if (field === 'contributors') {
      $('bus-factor').textContent = '· bus factor ' + answer.bus_factor + ' · ' + answer.total_contributors + ' people';
    }
  }

  function contributorRow(c) {
    return el('tr', {}, el('td', {className: 'value', title: c.email || ''}, c.name + (c.bot ? ' (bot)' : '')),
      el('td', {className: 'num'}, count(c.commits)), el('td', {className: 'num'}, count(c.additions)),
      el('td', {className: 'num'}, count(c.deletions)), el('td', {className: 'num'}, count(c.surviving_lines)));
  }

  function branchRow(b) {
    return el('tr', {}, el('td', {className: 'value'}, b.name + (b.default ? ' (default)' : '')),
      el('td', {className: 'num'}, count(b.ahead)), el('td', {className: 'num'}, count(b.behind)),
      el('td', {}, day(b.last_commit_at)));
  }

  function showRun(status) {
    var going = status && (status.state === 'queued' || status.state === 'running');
    $('run').hidden = !going && !(status && status.state === 'failed');
    if (!status) return;
    var total = status.commits_total || 0;
    $('run-bar').max = Math.max(1, total);
    $('run-bar').value = Math.min(status.commits_done || 0, Math.max(1, total));
    $('run-label').textContent = status.state === 'failed' ? 'The last run failed: ' + (status.error || '')
      : 'Mining · ' + (status.phase || status.state) + (total ? ' · ' + status.commits_done + ' / ' + total + ' commits' : '');
  }

  async function follow(id, base) {
    var status;
    try {
      status = await T.api(base + 'status');
    } catch (error) {
      return;
    }
    showRun(status);
    if (status.state === 'queued' || status.state === 'running') {
      setTimeout(function () { follow(id, base); }, 2000);
    } else if (status.state === 'succeeded') {
      loadCodebase(id);
    }
  }

  T.startPage(function () {
    var id = new URLSearchParams(location.search).get('codebase');
    if (id) loadCodebase(id); else loadList();
    var resized = null;
    window.addEventListener('resize', function () {
      clearTimeout(resized);
      resized = setTimeout(drawWeekly, 150);
    });
  });
})();
