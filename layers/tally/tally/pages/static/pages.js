/* Tally's pages: what every page shares — the signed-in token, API calls, DOM and number helpers.
 *
 * No dependencies, no build step: a classic script that defines `window.Tally` before the page's
 * own script (both `defer`, in order). The token arrives in the URL fragment (`#token=…`, never sent
 * to a server, so it stays out of access logs), is kept in localStorage and the fragment is removed
 * at once; or it is pasted into the sign-in form.
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'tally.token';

  /** An answer in Tally's error shape `{"error": {"code", "message", "details"}}`, or a network failure. */
  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.name = 'ApiError';
      this.status = status;
      this.code = code;
      this.details = details || [];
    }
  }

  function readToken() {
    try {
      return localStorage.getItem(TOKEN_KEY) || '';
    } catch (e) {
      return '';
    }
  }

  function saveToken(token) {
    try {
      localStorage.setItem(TOKEN_KEY, token);
    } catch (e) {
      /* storage disabled: the token lives until the page is closed */
    }
    memoryToken = token;
  }

  function clearToken() {
    try {
      localStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* nothing stored */
    }
    memoryToken = '';
  }

  var memoryToken = readToken();

  /** `Bearer xyz` or ` xyz ` → `xyz`. */
  function cleanToken(text) {
    return String(text || '').trim().replace(/^bearer\s+/i, '').trim();
  }

  /** Take `#token=…` from the URL: store it and remove the fragment from the address bar and history. */
  function takeTokenFromFragment() {
    if (!location.hash) return false;
    var params = new URLSearchParams(location.hash.slice(1));
    var token = cleanToken(params.get('token'));
    if (!params.has('token')) return false;
    history.replaceState(history.state, '', location.pathname + location.search);
    if (!token) return false;
    saveToken(token);
    return true;
  }

  /** The claims of a JWT (unverified: only to show who is signed in and when the token expires). */
  function claimsOf(token) {
    var parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
      var text = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
      var claims = JSON.parse(decodeURIComponent(Array.prototype.map.call(text, function (c) {
        return '%' + ('00' + c.charCodeAt(0).toString(16)).slice(-2);
      }).join('')));
      return claims && typeof claims === 'object' ? claims : null;
    } catch (e) {
      return null;
    }
  }

  /** The roles a JWT names (a `tly_` key's are not readable by the page: none). */
  function rolesOf(token) {
    var claims = claimsOf(token || '') || {};
    return Array.isArray(claims.roles) ? claims.roles : String(claims.roles || '').split(',').filter(Boolean);
  }

  /** Whether the signed-in JWT is an org admin's (or platform staff's): what the page offers, not what the API allows. */
  function isAdmin() {
    var roles = rolesOf(memoryToken);
    return roles.indexOf('org_admin') >= 0 || roles.indexOf('super_admin') >= 0;
  }

  var unauthenticatedHandler = null;

  /** GET a JSON API path with the token. Throws ApiError; a 401 also calls the page's handler. */
  async function api(path, params) {
    var query = params ? new URLSearchParams(params).toString() : '';
    return send('GET', path + (query ? '?' + query : ''));
  }

  /** Any method, with a JSON body when given; resolves to the answer's JSON (null for 204). */
  async function send(method, url, body) {
    var response;
    var headers = {Authorization: 'Bearer ' + memoryToken, Accept: 'application/json'};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      response = await fetch(url, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
      });
    } catch (e) {
      throw new ApiError(0, 'network_error', 'Tally could not be reached (' + (e && e.message || e) + ')');
    }
    if (response.status === 204) return null;
    var body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (response.ok && body !== null) return body;
    var error = body && body.error ? body.error : {};
    var failure = new ApiError(response.status, error.code || 'http_' + response.status,
      error.message || 'the API answered ' + response.status + ' ' + response.statusText, error.details);
    if (response.status === 401 && unauthenticatedHandler) unauthenticatedHandler(failure);
    throw failure;
  }

  /** Create an element: `el('td', {className: 'num', title: 'x'}, 'text', childNode)`; text is never parsed as HTML. */
  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null || value === false) return;
        if (key === 'dataset') Object.assign(node.dataset, value);
        else if (key === 'on') Object.keys(value).forEach(function (type) { node.addEventListener(type, value[type]); });
        else if (key in node && key !== 'list') node[key] = value;
        else node.setAttribute(key, value === true ? '' : value);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  var SVG_NS = 'http://www.w3.org/2000/svg';

  /** An SVG element with attributes (presentation attributes, never `style`). */
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  var integer = new Intl.NumberFormat(undefined, {maximumFractionDigits: 0});
  var compact = new Intl.NumberFormat(undefined, {notation: 'compact', maximumFractionDigits: 1});

  function formatCount(n) {
    return Math.abs(n) >= 1e6 ? compact.format(n) : integer.format(n);
  }

  /** Seconds as `45s`, `2m 05s`, `1h 02m`. */
  function formatDuration(seconds) {
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + String(s % 60).padStart(2, '0') + 's';
    return Math.floor(m / 60) + 'h ' + String(m % 60).padStart(2, '0') + 'm';
  }

  var timeFormat = new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit'});

  /** An ISO instant as a short local date and time, e.g. `2 Dec, 09:41`. */
  function formatTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? '' : timeFormat.format(d);
  }

  // -- calendar days as 'YYYY-MM-DD' -----------------------------------------------------------------
  var ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

  function isDay(text) {
    if (!ISO_DAY.test(text || '')) return false;
    var d = dayToDate(text);
    return !isNaN(d) && d.toISOString().slice(0, 10) === text;
  }

  function dayToDate(day) {
    return new Date(Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, +day.slice(8, 10)));
  }

  function dateToDay(date) {
    return date.toISOString().slice(0, 10);
  }

  /** Today in an IANA zone, as the site's visitors see the calendar. */
  function todayIn(tz) {
    var parts;
    try {
      parts = new Intl.DateTimeFormat('en-US', {timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit'})
        .formatToParts(new Date());
    } catch (e) {
      return dateToDay(new Date());
    }
    var get = function (type) { return parts.find(function (p) { return p.type === type; }).value; };
    return get('year') + '-' + get('month') + '-' + get('day');
  }

  function addDays(day, n) {
    var d = dayToDate(day);
    d.setUTCDate(d.getUTCDate() + n);
    return dateToDay(d);
  }

  function addMonths(day, n) {
    var d = dayToDate(day);
    var target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
    var lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
    target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
    return dateToDay(target);
  }

  function daysBetween(first, last) {
    return Math.round((dayToDate(last) - dayToDate(first)) / 86400000) + 1;
  }

  /**
   * Start a page other than the dashboard: take the token from the fragment, or send the visitor to
   * sign in at `/`; show who is signed in, wire Sign out, and run `render()` (a 401 anywhere leads
   * back to sign-in).
   */
  function startPage(render) {
    takeTokenFromFragment();
    var signInFirst = function (reason) {
      location.replace('/' + (reason ? '#signin=' + encodeURIComponent(reason) : ''));
    };
    if (!memoryToken) return signInFirst('');
    unauthenticatedHandler = function () {
      clearToken();
      signInFirst('expired');
    };
    var who = document.getElementById('who');
    if (who) {
      var claims = claimsOf(memoryToken) || {};
      who.textContent = memoryToken.indexOf('tly_') === 0 ? 'API key'
        : [claims.org_id, rolesOf(memoryToken).join(', ')].filter(Boolean).join(' · ');
    }
    var out = document.getElementById('sign-out');
    if (out) {
      out.addEventListener('click', function () {
        clearToken();
        location.assign('/');
      });
    }
    document.querySelectorAll('[data-admin-only]').forEach(function (node) { node.hidden = !isAdmin(); });
    render();
  }

  /** Copy text to the clipboard; resolves to whether it worked (a button says "Copied"). */
  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (e) {
      return false;
    }
  }

  window.Tally = {
    startPage: startPage,
    copyText: copyText,
    ApiError: ApiError,
    api: api,
    send: send,
    rolesOf: rolesOf,
    isAdmin: isAdmin,
    onUnauthenticated: function (handler) { unauthenticatedHandler = handler; },
    token: function () { return memoryToken; },
    saveToken: saveToken,
    clearToken: clearToken,
    cleanToken: cleanToken,
    takeTokenFromFragment: takeTokenFromFragment,
    claimsOf: claimsOf,
    el: el,
    svg: svg,
    formatCount: formatCount,
    formatDuration: formatDuration,
    isDay: isDay,
    dayToDate: dayToDate,
    todayIn: todayIn,
    addDays: addDays,
    addMonths: addMonths,
    daysBetween: daysBetween,
    formatTime: formatTime,
  };
})();
