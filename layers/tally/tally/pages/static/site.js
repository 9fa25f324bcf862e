/* A site's page at `/sites/{site_id}`: the tracker snippet with a copy button, the custom-event snippet,
 * a live check for the first pageview, and the site's settings (time zone, retention, deletion).
 *
 * The check polls the realtime endpoint (visitors in the last 5 minutes) every few seconds until one
 * arrives, then turns green. Viewers see everything read-only. Deleting asks for the domain, then
 * follows the deletion job (the site answers 404 once its data is gone). After a time zone change, the
 * settings show how far the re-bucketing of the stored hours and days got (the site's `rebucketing`),
 * polling while it runs; the line goes once it is done.
 */
(function () {
  'use strict';

  var T = window.Tally;
  var el = T.el;
  var $ = function (id) { return document.getElementById(id); };
  var CHECK_MS = 4000;
  var DELETION_MS = 5000;
  var REBUCKETING_MS = 5000;

  var siteId = decodeURIComponent(location.pathname.replace(/^\/sites\//, '').replace(/\/$/, ''));
  var site = null;
  var checkTimer = null;
  var rebucketingTimer = null;

  function showNotice(text) {
    $('notice').textContent = text;
    $('notice').hidden = !text;
  }

  function sitePath() {
    return '/api/v1/sites/' + encodeURIComponent(siteId);
  }

  function snippetText() {
    return '<script defer data-domain="' + site.domain + '" src="' + location.origin + '/js/script.js"></script>';
  }

  function eventSnippetText() {
    return '<script>window.tally = window.tally || function () { (tally.q = tally.q || []).push(arguments) }</script>\n'
      + '<!-- then, e.g.: tally(\'Signup\', {props: {plan: \'pro\'}}) -->';
  }

  function render() {
    document.title = site.domain + ' · Tally';
    $('domain').textContent = site.domain;
    $('stats-link').href = '/?site=' + encodeURIComponent(site.site_id);
    document.querySelectorAll('.site-domain').forEach(function (node) { node.textContent = site.domain; });
    $('snippet').textContent = snippetText();
    $('event-snippet').textContent = eventSnippetText();
    var zones = [];
    try {
      zones = Intl.supportedValuesOf('timeZone');
    } catch (e) {
      zones = [];
    }
    if (zones.indexOf(site.timezone) < 0) zones = [site.timezone].concat(zones);
    $('timezone').replaceChildren.apply($('timezone'), zones.map(function (zone) {
      return el('option', {value: zone}, zone.replace(/_/g, ' '));
    }));
    $('timezone').value = site.timezone;
    $('retention').value = String(site.retention_days);
    var admin = T.isAdmin();
    $('timezone').disabled = !admin;
    $('retention').disabled = !admin;
    $('read-only').hidden = admin;
    showRebucketing(site);
    if (site.status === 'deleting') followDeletion();
  }

  function showRebucketing(current) {
    var work = current.rebucketing;
    clearTimeout(rebucketingTimer);
    if (!work || work.state !== 'running' || current.status !== 'active') {
      $('rebucketing').hidden = true;
      return;
    }
    $('rebucketing-text').textContent = work.checking
      ? 'Re-bucketing into ' + current.timezone + ': every stored hour and day carried; checking for late events…'
      : 'Re-bucketing into ' + current.timezone + ': ' + Math.round(work.progress * 100) + ' %…';
    $('rebucketing-bar').value = work.progress;
    $('rebucketing').hidden = false;
    rebucketingTimer = setTimeout(followRebucketing, REBUCKETING_MS);
  }

  async function followRebucketing() {
    try {
      var fresh = await T.api(sitePath());
      site.rebucketing = fresh.rebucketing;  // the form keeps what the user may be editing
      showRebucketing(fresh);
    } catch (error) {
      if (error.status === 404) {
        $('rebucketing').hidden = true;
        return;
      }
      rebucketingTimer = setTimeout(followRebucketing, REBUCKETING_MS);
    }
  }

  async function check() {
    clearTimeout(checkTimer);
    try {
      var data = await T.api(sitePath() + '/stats/realtime');
      if (data.visitors > 0) {
        $('check').dataset.state = 'seen';
        $('check').className = 'check seen';
        var page = data.pages.length ? data.pages[0].page : '';
        $('check-text').textContent = 'Pageviews are arriving: ' + T.formatCount(data.visitors)
          + (data.visitors === 1 ? ' visitor' : ' visitors') + ' right now' + (page ? ', on ' + page : '') + '.';
        $('check-hint').replaceChildren('Your site is set up. ',
          el('a', {href: '/?site=' + encodeURIComponent(site.site_id) + '&period=day'}, 'See today\'s stats'), '.');
        return;
      }
    } catch (error) {
      if (error.status === 404) return;
      $('check-text').textContent = 'Waiting for the first pageview… (the check failed once: ' + error.message + ')';
    }
    checkTimer = setTimeout(check, CHECK_MS);
  }

  async function followDeletion() {
    $('deletion').hidden = false;
    $('delete-form').hidden = true;
    $('settings-form').querySelectorAll('input, select, button').forEach(function (node) { node.disabled = true; });
    clearTimeout(checkTimer);
    clearTimeout(rebucketingTimer);
    $('rebucketing').hidden = true;
    try {
      await T.api(sitePath());
      $('deletion').textContent = 'Deleting ' + site.domain + ': its events and statistics are being removed…';
      setTimeout(followDeletion, DELETION_MS);
    } catch (error) {
      if (error.status !== 404) {
        $('deletion').textContent = 'Could not follow the deletion: ' + error.message;
        return;
      }
      $('deletion').dataset.state = 'done';
      $('deletion').replaceChildren(site.domain + ' and all its data are deleted. ',
        el('a', {href: '/sites'}, 'Back to your sites'), '.');
    }
  }

  function wire() {
    $('copy-snippet').addEventListener('click', async function (event) {
      event.target.textContent = (await T.copyText(snippetText())) ? 'Copied' : 'Select and copy';
    });
    $('copy-event-snippet').addEventListener('click', async function (event) {
      event.target.textContent = (await T.copyText(eventSnippetText())) ? 'Copied' : 'Select and copy';
    });
    $('settings-form').addEventListener('submit', async function (event) {
      event.preventDefault();
      var changes = {};
      if ($('timezone').value !== site.timezone) changes.timezone = $('timezone').value;
      if (Number($('retention').value) !== site.retention_days) changes.retention_days = Number($('retention').value);
      if (!Object.keys(changes).length) {
        $('saved').textContent = 'Nothing changed.';
        $('saved').hidden = false;
        return;
      }
      try {
        site = await T.send('PATCH', sitePath(), changes);
        render();
        $('saved').textContent = 'Saved.';  // a new zone: the re-bucketing line below follows the job
        $('saved').hidden = false;
        showNotice('');
      } catch (error) {
        var detail = (error.details || []).map(function (d) { return d.rule; }).join('; ');
        showNotice('Could not save: ' + (detail || error.message));
      }
    });
    var confirmed = function () {
      $('delete-button').disabled = $('delete-confirm').value.trim().toLowerCase() !== site.domain;
    };
    $('delete-confirm').addEventListener('input', confirmed);
    confirmed();  // typed before the site had loaded
    $('delete-form').addEventListener('submit', async function (event) {
      event.preventDefault();
      if ($('delete-confirm').value.trim().toLowerCase() !== site.domain) return;
      try {
        site = await T.send('DELETE', sitePath());
        followDeletion();
      } catch (error) {
        showNotice('Could not delete the site: ' + error.message);
      }
    });
  }

  T.startPage(async function () {
    try {
      site = await T.api(sitePath());
    } catch (error) {
      showNotice(error.status === 404 ? 'No such site in your organisation.' : 'Could not load the site: ' + error.message);
      return;
    }
    wire();
    render();
    if (site.status !== 'deleting') check();
  });
})();
