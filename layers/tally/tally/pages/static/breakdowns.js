/* Breakdown panels: a title, tabs (a property each), rows with a proportional bar, and "Load more".
 *
 * `new Tally.BreakdownPanel(config, fetchPage)` builds the panel's DOM (`panel.node`); `panel.load()`
 * fetches the first page of the selected tab with `fetchPage(property, cursor, filters)` and resolves
 * once it is drawn (rejects, after showing the error, when the API fails). An answer that arrives after
 * a newer load of the same panel is dropped. Values are always text: they come from anyone's requests.
 *
 * A tab with `drill` (the goals) makes its rows clickable: a click shows that goal's properties, as
 * Plausible's Properties panel does under a goal filter — the goal's prop keys (`event:props` filtered
 * by `event:goal==<name>`), a selector when there are several, and the chosen key's values.
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
    /**
     * config: {id, title, tabs: [{label, property, column, columns: ['visitors', …], labels?, titles?}]};
     * `onDrill(goal, key)` hears which goal's properties are shown (null: the goals) and the key chosen.
     */
    constructor(config, fetchPage, onDrill) {
      var panel = this;
      this.config = config;
      this.fetchPage = fetchPage;
      this.onDrill = onDrill || function () {};
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
      this.goal = null;   // with a drill tab: the goal whose properties are shown
      this.key = null;    // the chosen property key of that goal
      this.drillBar = el('div', {className: 'drill', hidden: true});
      this.table = el('table', {className: 'rows'});
      this.body = el('tbody');
      this.more = el('button', {type: 'button', className: 'more', hidden: true,
        on: {click: function () { panel.load(panel.cursor).catch(function () { /* shown in the panel */ }); }}},
      'Load more');
      this.node.append(head, this.drillBar, this.table, this.more);
    }

    /** Show the properties of `goal` (a row of the drill tab); `null` goes back to the goals. */
    drill(goal) {
      this.restore(goal, null);
      this.onDrill(this.goal, this.key);
      return this.load();
    }

    /** Set the goal whose properties show, and its key (from the address), without loading. */
    restore(goal, key) {
      var index = this.config.tabs.findIndex(function (tab) { return tab.drill; });
      if (index < 0) return;
      if (goal) this.tab = index;
      this.goal = goal || null;
      this.key = goal ? key || null : null;
    }

    select(index) {
      if (this.tab === index) return;
      this.tab = index;
      if (this.goal !== null) {
        this.goal = this.key = null;
        this.onDrill(null, null);
      }
      this.load().catch(function () { /* shown in the panel */ });
    }

    /** The first page of the selected tab, or with `cursor` the next page, appended. */
    // A fetched page of rows into the table (the first page replaces what was there), and Load more.
    showPage(data, cursor) {
      if (!cursor) this.body.replaceChildren();
      if (!cursor && !data.results.length) this.message('No data for this period');
      this.append(data.results);
      this.cursor = data.next_cursor;
      this.more.hidden = !data.next_cursor;
    }

    // A failed first page replaces the table; a failed further page adds its error under the rows.
    showError(error, cursor) {
      if (cursor) this.body.append(this.messageRow(error.message, 'error'));
      else this.message('Could not load: ' + error.message, 'error');
    }

    loaded() {
      this.node.classList.remove('is-loading');
      this.more.disabled = false;
      this.more.textContent = 'Load more';
    }

    async load(cursor) {
      if (this.goal !== null && this.config.tabs[this.tab].drill) return this.loadProps(cursor);
      this.drillBar.hidden = true;
      this.node.classList.remove('drilled');
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
        if (isCurrent()) this.showPage(data, cursor);
      } catch (error) {
        if (isCurrent()) this.showError(error, cursor);
        throw error;
      } finally {
        if (isCurrent()) this.loaded();
      }
    }

    /** The drilled goal's properties: its keys first (the first page of them), then the chosen key's values. */
    async loadProps(cursor) {
      var seq = ++this.seq;
      var panel = this;
      var drill = this.config.tabs[this.tab].drill;
      var goal = this.goal;
      var filters = 'event:goal==' + goal;
      var isCurrent = function () { return seq === panel.seq; };
      this.node.classList.add('drilled', 'is-loading');
      if (!cursor) {
        this.max = 0;
        this.renderDrill([]);
        this.renderHead(this.key || drill.column);
        this.message('Loading…');
        this.more.hidden = true;
      } else {
        this.more.disabled = true;
        this.more.textContent = 'Loading…';
      }
      try {
        if (!cursor) {
          var keys = (await this.fetchPage(drill.property, null, filters)).results.map(function (r) { return r.value; });
          if (!isCurrent()) return;
          if (keys.indexOf(this.key) < 0) this.key = keys.length ? keys[0] : null;
          this.renderDrill(keys);
          this.renderHead(this.key || drill.column);
          if (!keys.length) {
            this.message('No properties: ' + goal + ' was sent without props in this period', 'no-props');
            return;
          }
        }
        var data = await this.fetchPage(drill.property + ':' + this.key, cursor || null, filters);
        if (isCurrent()) this.showPage(data, cursor);
      } catch (error) {
        if (isCurrent()) this.showError(error, cursor);
        throw error;
      } finally {
        if (isCurrent()) this.loaded();
      }
    }

    /** The bar above a goal's properties: back to the goals, the goal's name, its keys. */
    renderDrill(keys) {
      var panel = this;
      var back = el('button', {type: 'button', className: 'back', title: 'Back to all goals',
        on: {click: function () { panel.drill(null).catch(function () { /* shown in the panel */ }); }}},
      '← Goals');
      var title = el('span', {className: 'drill-goal', title: this.goal}, this.goal);
      var picker = null;
      if (keys.length > 1) {
        picker = el('select', {className: 'drill-keys', 'aria-label': 'Property of ' + this.goal,
          on: {change: function (event) {
            panel.key = event.target.value;
            panel.onDrill(panel.goal, panel.key);
            panel.load().catch(function () { /* shown in the panel */ });
          }}});
        keys.forEach(function (key) {
          picker.append(el('option', {value: key, selected: key === panel.key}, key));
        });
      } else if (keys.length === 1) {
        picker = el('span', {className: 'drill-key'}, keys[0]);
      }
      this.drillBar.replaceChildren.apply(this.drillBar, [back, title, picker].filter(Boolean));
      this.drillBar.hidden = false;
    }

    renderHead(valueColumn) {
      var tab = this.config.tabs[this.tab];
      var selected = this.tab;
      this.node.dataset.property = tab.property;
      if (this.tabList) {
        Array.prototype.forEach.call(this.tabList.children, function (button, index) {
          button.setAttribute('aria-selected', String(index === selected));
        });
      }
      var head = el('tr', null, el('th', {className: 'value', scope: 'col'}, valueColumn || tab.column));
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
        var label = displayValue(panel.goal === null ? tab.property : 'event:props', row.value);
        var cell = el('td', {className: 'value', title: row.value || '(none)'}, bar);
        if (tab.drill && panel.goal === null) {  // a goal: a click shows its properties
          cell.append(el('button', {type: 'button', className: 'label drill-link',
            title: 'Show the properties of ' + row.value,
            on: {click: function () { panel.drill(row.value).catch(function () { /* shown in the panel */ }); }}},
          label));
        } else {
          cell.append(el('span', {className: 'label'}, label));
        }
        var tr = el('tr', null, cell);
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
