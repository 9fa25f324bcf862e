/*! Tally tracker (web/tracker/README.md): cookie-less pageviews, SPA navigation, custom events, outbound links
 * and file downloads. Writes no cookies and no storage. Keep it under 2 KB gzipped: a test measures it. */
(function (w, d) {
  'use strict';
  if (w.tally && w.tally.l) return; // loaded twice: the first copy already listens

  var loc = w.location;
  var nav = w.navigator;
  var el = d.currentScript || d.querySelector('script[data-domain]');
  var has = function (name) { return !!el && el.hasAttribute(name); };
  var api = (el && el.getAttribute('data-api')) || (el && el.src ? new URL(el.src).origin : '') + '/api/event';
  var domain = (el && el.getAttribute('data-domain')) || loc.hostname;
  var hash = has('data-hash');
  var files = /\.(pdf|xlsx?|docx?|txt|rtf|csv|exe|key|ppsx?|pptx?|7z|pkg|rar|gz|tgz|zip|avi|mov|mp4|mpe?g|wmv|midi?|mp3|wav|wma|dmg|iso|apk)$/i;
  var last;

  function ignored() {
    if (!has('data-allow-local') &&
        (/^localhost$|^127(\.\d+){0,2}\.\d+$|^\[::1?\]$/.test(loc.hostname) || loc.protocol === 'file:')) return 'localhost';
    if (!has('data-allow-automation') && (nav.webdriver || w._phantom || w.__nightmare || w.Cypress)) return 'automated browser';
    try { if (w.localStorage.tally_ignore === 'true') return 'localStorage flag'; } catch (e) { /* storage blocked */ }
  }

  function send(body, callback) {
    var json = JSON.stringify(body);
    var done = function (result) { if (callback) callback(result); };
    try {
      // keepalive lets the request outlive the page (outbound clicks); text/plain needs no CORS preflight
      fetch(api, {method: 'POST', keepalive: true, headers: {'Content-Type': 'text/plain'}, body: json})
        .then(function (r) { done({status: r.status}); }, function (e) { done({error: e}); });
    } catch (e) { // no fetch (or no keepalive): a beacon also survives the page
      done(nav.sendBeacon && nav.sendBeacon(api, json) ? {} : {error: e});
    }
  }

  function track(name, options) {
    var o = options || {};
    var why = ignored();
    if (why) {
      console.warn('Ignoring Event: ' + why);
      return o.callback && o.callback();
    }
    var body = {n: name, u: o.u || loc.href, d: domain, r: d.referrer || null};
    if (o.props) body.p = o.props;
    if (o.revenue) body.$ = o.revenue;
    if (o.interactive === false) body.i = false;
    if (hash) body.h = 1;
    send(body, o.callback);
  }

  function page(force) {
    var key = loc.pathname + (hash ? loc.hash : '');
    if (force || key !== last) {
      last = key;
      track('pageview');
    }
  }
  var changed = function () { page(); };

  ['pushState', 'replaceState'].forEach(function (method) {
    var original = w.history[method];
    if (original) {
      w.history[method] = function () {
        var result = original.apply(this, arguments);
        changed();
        return result;
      };
    }
  });
  w.addEventListener('popstate', changed);
  if (hash) w.addEventListener('hashchange', changed);
  w.addEventListener('pageshow', function (e) { if (e.persisted) page(1); }); // back/forward cache

  function click(e) {
    if (e.type === 'auxclick' && e.button !== 1) return; // middle click opens a tab; others open menus
    var a = e.target && e.target.closest && e.target.closest('a[href]');
    if (!a || typeof a.href !== 'string') return;
    if (a.host && a.host !== loc.host && /^https?:$/.test(a.protocol)) {
      track('Outbound Link: Click', {props: {url: a.href}});
    } else {
      var url = a.href.replace(/[?#].*/, '');
      if (files.test(url)) track('File Download', {props: {url: url}});
    }
  }
  d.addEventListener('click', click, true);
  d.addEventListener('auxclick', click, true);

  var queue = (w.tally && w.tally.q) || [];
  w.tally = track;
  track.l = 1;
  var start = function () {
    page(1);
    for (var i = 0; i < queue.length; i++) track.apply(null, queue[i]);
  };
  if (d.prerendering) d.addEventListener('prerenderingchange', start, {once: true});
  else start();
})(window, document);
