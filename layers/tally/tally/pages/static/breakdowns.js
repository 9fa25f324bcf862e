/* Breakdown panels: a title, tabs (a property each), rows with a proportional bar, and "Load more".
 *
 * `new Tally.BreakdownPanel(config, fetchPage)` builds the panel's DOM (`panel.node`); `panel.load()`
 * fetches the first page of the selected tab with `fetchPage(property, cursor)` and resolves once it
 * is drawn (rejects, after showing the error, when the API fails). An answer that arrives after a
 * newer load of the same panel is dropped. Values are always text: they come from anyone's requests.
 */
(function () {
  'use strict';

  var T = window.Tally;
  var el = T.el;

  var COLUMNS = {
    visitors: {label: 'Visitors', format: T.formatCount},
    pageviews: {label: 'Pageviews', format: T.formatCount},
    events: {label: 'Events', format: T.formatCount},
    conversion_rate: {label: 'CR', format: function (v) { return v + '%'; }},
    visits: {label: 'Visits', format: T.formatCount},
    bounce_rate: {label: 'Bounce', format: function (v) { return v + '%'; }},
    visit_duration: {label: 'Duration', format: T.formatDuration},
  };

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

  class BreakdownPanel {
    /** config: {id, title, tabs: [{label, property, column, columns: ['visitors', …], labels?, titles?}]} */
    constructor(config, fetchPage) {
      var panel = this;
      this.config = config;
      this.fetchPage = fetchPage;
      this.tab = 0;
      this.seq = 0;
      this.max = 0;
      this.cursor = null;
      this.node = el('section', {className: 'panel breakdown', id: 'panel-' + config.id});
      var head = el('header', {className: 'panel-head'}, el('h2', null, config.title));
      this.tabList = null;
      if (config.tabs.length > 1) {
        this.tabList = el('div', {className: 'tabs', role: 'tablist', 'aria-label': config.title});
        config.tabs.forEach(function (tab, index) {
          panel.tabList.append(el('button', {type: 'button', role: 'tab', dataset: {property: tab.property},
            on: {click: function () { panel.select(index); }}}, tab.label));
        });
        head.append(this.tabList);
      }
      this.table = el('table', {className: 'rows'});
      this.body = el('tbody');
      this.more = el('button', {type: 'button', className: 'more', hidden: true,
        on: {click: function () { panel.load(panel.cursor).catch(function () { /* shown in the panel */ }); }}},
      'Load more');
      this.node.append(head, this.table, this.more);
    }

    select(index) {
      if (this.tab === index) return;
      this.tab = index;
      this.load().catch(function () { /* shown in the panel */ });
    }

    /** The first page of the selected tab, or with `cursor` the next page, appended. */
    async load(cursor) {
      var seq = ++this.seq;
      var tab = this.config.tabs[this.tab];
      var panel = this;
      var isCurrent = function () { return seq === panel.seq; };
      if (!cursor) {
        this.max = 0;
        this.renderHead();
        this.message('Loading…');
        this.more.hidden = true;
      } else {
        this.more.disabled = true;
        this.more.textContent = 'Loading…';
      }
      this.node.classList.add('is-loading');
      try {
        var data = await this.fetchPage(tab.property, cursor || null);
        if (!isCurrent()) return;
        if (!cursor) this.body.replaceChildren();
        if (!cursor && !data.results.length) this.message('No data for this period');
        this.append(data.results);
        this.cursor = data.next_cursor;
        this.more.hidden = !data.next_cursor;
      } catch (error) {
        if (isCurrent()) {
          if (cursor) this.body.append(this.messageRow(error.message, 'error'));
          else this.message('Could not load: ' + error.message, 'error');
        }
        throw error;
      } finally {
        if (isCurrent()) {
          this.node.classList.remove('is-loading');
          this.more.disabled = false;
          this.more.textContent = 'Load more';
        }
      }
    }

    renderHead() {
      var tab = this.config.tabs[this.tab];
      var selected = this.tab;
      this.node.dataset.property = tab.property;
      if (this.tabList) {
        Array.prototype.forEach.call(this.tabList.children, function (button, index) {
          button.setAttribute('aria-selected', String(index === selected));
        });
      }
      var head = el('tr', null, el('th', {className: 'value', scope: 'col'}, tab.column));
      tab.columns.forEach(function (column) {
        var label = (tab.labels && tab.labels[column]) || COLUMNS[column].label;
        head.append(el('th', {className: 'num col-' + column, scope: 'col', title: tab.titles && tab.titles[column]},
          label));
      });
      this.body = el('tbody');
      this.table.replaceChildren(el('thead', null, head), this.body);
    }

    messageRow(text, className) {
      var tab = this.config.tabs[this.tab];
      return el('tr', {className: 'message-row'},
        el('td', {colSpan: tab.columns.length + 1, className: className || 'muted'}, text));
    }

    message(text, className) {
      this.body.replaceChildren(this.messageRow(text, className));
    }

    append(rows) {
      var tab = this.config.tabs[this.tab];
      var panel = this;
      if (!this.max) this.max = Math.max.apply(null, rows.map(function (r) { return r.visitors; }).concat([1]));
      rows.forEach(function (row) {
        var bar = el('span', {className: 'bar', 'aria-hidden': 'true'});
        bar.style.width = Math.max(0.5, Math.min(100, row.visitors / panel.max * 100)) + '%';
        var tr = el('tr', null, el('td', {className: 'value', title: row.value || '(none)'},
          bar, el('span', {className: 'label'}, displayValue(tab.property, row.value))));
        tab.columns.forEach(function (column) {
          var value = row[column];
          tr.append(el('td', {className: 'num col-' + column},
            value === null || value === undefined ? '–' : COLUMNS[column].format(value)));
        });
        panel.body.append(tr);
      });
    }
  }

  T.BreakdownPanel = BreakdownPanel;
})();
