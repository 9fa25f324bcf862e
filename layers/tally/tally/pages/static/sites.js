/* The sites page at `/sites`: the organisation's sites, and (org admins) adding one.
 *
 * The time zone defaults to the browser's (`Intl`), chosen from every zone the browser knows; adding
 * a site leads to its page, where the snippet and the first-pageview check are.
 */
(function () {
  'use strict';

  var T = window.Tally;
  var el = T.el;
  var $ = function (id) { return document.getElementById(id); };

  function showNotice(text) {
    $('notice').textContent = text;
    $('notice').hidden = !text;
  }

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    } catch (e) {
      return 'UTC';
    }
  }

  function fillZones() {
    var zones = [];
    try {
      zones = Intl.supportedValuesOf('timeZone');
    } catch (e) {
      zones = [];
    }
    var mine = browserZone();
    if (zones.indexOf('UTC') < 0) zones = ['UTC'].concat(zones);
    if (zones.indexOf(mine) < 0) zones = [mine].concat(zones);
    var picker = $('site-timezone');
    picker.replaceChildren.apply(picker, zones.map(function (zone) {
      return el('option', {value: zone, selected: zone === mine}, zone.replace(/_/g, ' '));
    }));
    picker.value = mine;
  }

  async function loadSites() {
    var sites = [];
    var cursor = null;
    try {
      for (var page = 0; page < 20; page++) {
        var q = new URLSearchParams({limit: '100'});
        if (cursor) q.set('cursor', cursor);
        var answer = await T.api('/api/v1/sites', q);
        sites = sites.concat(answer.sites);
        cursor = answer.next_cursor;
        if (!cursor) break;
      }
    } catch (error) {
      showNotice('Could not load your sites: ' + error.message);
      return;
    }
    $('no-sites').hidden = sites.length > 0;
    var list = $('site-list');
    list.replaceChildren.apply(list, sites.map(function (site) {
      return el('li', {dataset: {siteId: site.site_id}},
        el('a', {href: '/sites/' + encodeURIComponent(site.site_id)}, site.domain),
        el('span', {className: 'muted'}, ' ' + site.timezone + (site.status === 'deleting' ? ' · being deleted' : '')),
        site.status === 'deleting' ? null
          : el('a', {className: 'small-link', href: '/?site=' + encodeURIComponent(site.site_id)}, 'Stats'));
    }));
  }

  function wire() {
    $('add-site').addEventListener('submit', async function (event) {
      event.preventDefault();
      var submit = event.target.querySelector('button[type=submit]');
      submit.disabled = true;
      try {
        var site = await T.send('POST', '/api/v1/sites', {domain: $('site-domain').value.trim(),
          timezone: $('site-timezone').value});
        location.assign('/sites/' + encodeURIComponent(site.site_id) + '?added=1');
      } catch (error) {
        var detail = (error.details || []).map(function (d) { return d.rule; }).join('; ');
        showNotice('Could not add the site: ' + (detail || error.message));
        submit.disabled = false;
      }
    });
  }

  T.startPage(function () {
    if (T.isAdmin()) {
      fillZones();
      wire();
    }
    loadSites();
  });
})();
