/* The settings page at `/settings`: an org admin's API keys — create (the key shown once), list, revoke.
 *
 * The list shows each key's prefix, name, role, creation and last use; never the key (Tally has only
 * its hash). Revoking asks first; the key is refused within the authorizer's cache lifetime.
 */
(function () {
  'use strict';

  var T = window.Tally;
  var el = T.el;
  var $ = function (id) { return document.getElementById(id); };
  var when = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'});

  function showNotice(text) {
    $('notice').textContent = text;
    $('notice').hidden = !text;
  }

  async function loadKeys() {
    if (!T.isAdmin()) {
      $('viewer-note').hidden = false;
      return;
    }
    var answer;
    try {
      answer = await T.api('/api/v1/keys');
    } catch (error) {
      showNotice('Could not load the keys: ' + error.message);
      return;
    }
    var rows = answer.keys.map(function (key) {
      var revoke = el('button', {type: 'button', className: 'danger small', dataset: {keyId: key.key_id},
        on: {click: function () { revokeKey(key, revoke); }}}, 'Revoke');
      return el('tr', {dataset: {keyId: key.key_id}},
        el('td', null, key.name),
        el('td', null, el('code', null, key.prefix + '…')),
        el('td', {className: 'col-role'}, key.role === 'org_admin' ? 'org admin' : 'viewer'),
        el('td', null, when.format(new Date(key.created_at))),
        el('td', {className: 'last-used'}, key.last_used_at ? when.format(new Date(key.last_used_at)) : 'never'),
        el('td', {className: 'col-action'}, revoke));
    });
    $('key-rows').replaceChildren.apply($('key-rows'), rows);
    $('keys').hidden = !rows.length;
    $('no-keys').hidden = rows.length > 0;
  }

  async function revokeKey(key, button) {
    if (!confirm('Revoke "' + key.name + '" (' + key.prefix + '…)? Scripts using it stop working within a minute.')) {
      return;
    }
    button.disabled = true;
    try {
      await T.send('DELETE', '/api/v1/keys/' + encodeURIComponent(key.key_id));
      showNotice('');
    } catch (error) {
      button.disabled = false;
      showNotice('Could not revoke the key: ' + error.message);
      return;
    }
    await loadKeys();
  }

  function wire() {
    $('create-key').addEventListener('submit', async function (event) {
      event.preventDefault();
      var submit = event.target.querySelector('button[type=submit]');
      submit.disabled = true;
      try {
        var created = await T.send('POST', '/api/v1/keys', {name: $('key-name').value.trim(), role: $('key-role').value});
        $('new-key-value').textContent = created.key;
        $('new-key').hidden = false;
        $('key-name').value = '';
        showNotice('');
        await loadKeys();
      } catch (error) {
        showNotice('Could not create the key: ' + error.message);
      } finally {
        submit.disabled = false;
      }
    });
    $('copy-key').addEventListener('click', async function (event) {
      var ok = await T.copyText($('new-key-value').textContent);
      event.target.textContent = ok ? 'Copied' : 'Select and copy';
    });
  }

  T.startPage(function () {
    wire();
    loadKeys();
  });
})();
