// MedicineMan dashboard: the live parts and the writes. Plain JavaScript, no build step.
// Every write goes to /api with the session cookie and the session's CSRF token in
// X-CSRF-Token, so the API's own role checks, validation and audit apply. Text from the server
// is only ever set with textContent, never as HTML.
(function () {
  'use strict';

  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';
  const toastBox = document.getElementById('toast');
  let toastTimer = null;

  function toast(message, tone) {
    if (!toastBox) return;
    toastBox.textContent = message;
    toastBox.className = 'toast' + (tone ? ' ' + tone : '');
    toastBox.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toastBox.hidden = true; }, tone === 'bad' ? 9000 : 4000);
  }

  function formatBytes(value) {
    if (typeof value !== 'number') return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let size = value, unit = 0;
    while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit += 1; }
    return unit === 0 ? value + ' B' : (size < 10 ? size.toFixed(1) : size.toFixed(0)) + ' ' + units[unit];
  }

  // --- Calling the API -----------------------------------------------------------------------

  async function callAPI(spec, body) {
    const space = spec.indexOf(' ');
    const method = spec.slice(0, space);
    const path = spec.slice(space + 1);
    const response = await fetch(path, {
      method: method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body || {})
    });
    let payload = null;
    try { payload = await response.json(); } catch (ignored) { payload = null; }
    if (!response.ok || !payload || payload.success !== true) {
      const error = new Error(payload && payload.message ? payload.message : 'the request failed (' + response.status + ')');
      error.fields = payload && payload.error && payload.error.details && payload.error.details.fields ? payload.error.details.fields : [];
      error.status = response.status;
      throw error;
    }
    return payload;
  }

  // A form's fields as the JSON body the API expects: data-type int, bool, list (commas or lines);
  // names with dots nest ("retention.keepLast"); empty fields are left out; disabled ones too.
  function formBody(form) {
    const body = {};
    for (const field of form.elements) {
      if (!field.name || field.disabled || field.type === 'submit') continue;
      const type = field.getAttribute('data-type');
      let value;
      if (type === 'bool') {
        value = field.checked;
      } else {
        const text = field.value.trim();
        if (text === '') continue;
        if (type === 'int') value = Number(text);
        else if (type === 'list') value = text.split(/[,\n]/).map(function (part) { return part.trim(); }).filter(Boolean);
        else value = field.name === 'credential' ? field.value : text;
      }
      const path = field.name.split('.');
      let target = body;
      for (let index = 0; index < path.length - 1; index += 1) {
        target[path[index]] = target[path[index]] || {};
        target = target[path[index]];
      }
      target[path[path.length - 1]] = value;
    }
    return body;
  }

  function markInvalid(form, fields) {
    if (!form) return;
    for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    for (const name of fields) {
      const field = form.querySelector('[name="' + CSS.escape(name) + '"]');
      if (field) { field.setAttribute('aria-invalid', 'true'); field.focus(); }
    }
  }

  function showTest(target, data) {
    const card = target.closest('article');
    const badge = card && card.querySelector('[data-connection]');
    if (badge) { badge.textContent = data.reachable ? 'online' : 'offline'; badge.className = 'badge tone-' + (data.reachable ? 'ok' : 'bad'); }
    const key = card && card.querySelector('[data-host-key]');
    // A key presented by an unreachable server is not pinned: the card keeps what is.
    if (key && data.hostKeyFingerprint && data.reachable) key.textContent = data.hostKeyFingerprint;
    target.hidden = false;
    target.className = 'test-result ' + (data.reachable ? 'ok' : 'bad');
    target.replaceChildren();
    const title = document.createElement('strong');
    title.textContent = data.reachable ? 'Connected' : 'Not reachable: ' + data.outcome;
    target.append(title);
    if (data.message) { const line = document.createElement('div'); line.textContent = data.message; target.append(line); }
    if (data.hostKeyFingerprint) {
      const line = document.createElement('div');
      line.append('Host key: ');
      const code = document.createElement('code');
      code.setAttribute('data-fingerprint', '');
      code.textContent = data.hostKeyFingerprint;
      line.append(code);
      line.append(!data.reachable ? ' (presented, not pinned: check it on the server, then pin it)' : data.pinned ? ' (pinned now)' : ' (matches the pinned key)');
      target.append(line);
    }
  }

  function showToken(target, data) {
    target.hidden = false;
    target.replaceChildren();
    const note = document.createElement('div');
    note.textContent = 'Token created; copy it now, it is shown only once:';
    const code = document.createElement('code');
    code.className = 'wrap';
    code.textContent = data.token;
    target.append(note, code);
  }

  // What to do after a write succeeded: data-then="reload" | "redirect:/path" | "job" | "test:id" | "token:id".
  function after(then, payload) {
    const data = payload.data || {};
    if (!then || then === 'reload') { sessionStorage.setItem('mm-toast', payload.message); location.reload(); return; }
    if (then.indexOf('redirect:') === 0) { sessionStorage.setItem('mm-toast', payload.message); location.assign(then.slice(9)); return; }
    if (then === 'job' && data.jobId) { location.assign('/jobs/' + encodeURIComponent(data.jobId)); return; }
    if (then.indexOf('test:') === 0) { showTest(document.getElementById(then.slice(5)), data); return; }
    if (then.indexOf('token:') === 0) { showToken(document.getElementById(then.slice(6)), data); return; }
    toast(payload.message, 'ok');
  }

  async function run(element, body, form) {
    const confirmText = element.getAttribute('data-confirm');
    if (confirmText && !window.confirm(confirmText)) return;
    element.setAttribute('aria-busy', 'true');
    try {
      const payload = await callAPI(element.getAttribute('data-api'), body);
      after(element.getAttribute('data-then'), payload);
    } catch (error) {
      markInvalid(form, error.fields || []);
      toast(error.message, 'bad');
    } finally {
      element.removeAttribute('aria-busy');
    }
  }

  document.addEventListener('click', function (event) {
    const button = event.target.closest('button[data-api]');
    if (!button) return;
    event.preventDefault();
    let body = {};
    const raw = button.getAttribute('data-body');
    if (raw) { try { body = JSON.parse(raw); } catch (ignored) { body = {}; } }
    run(button, body, null);
  });

  document.addEventListener('submit', function (event) {
    const form = event.target.closest('form[data-api]');
    if (!form) return;
    event.preventDefault();
    const mode = form.querySelector('select[name="mode"]');
    if (form.querySelector('[data-confirm-apply]') && mode && mode.value === 'apply' &&
        !window.confirm('Apply package upgrades on this server now?')) return;
    run(form, formBody(form), form);
  });

  const pending = sessionStorage.getItem('mm-toast');
  if (pending) { sessionStorage.removeItem('mm-toast'); toast(pending, 'ok'); }

  // --- Add server: the credential field that matches the authentication type ------------------

  for (const select of document.querySelectorAll('[data-auth-select]')) {
    const form = select.form;
    const sync = function () {
      for (const wrapper of form.querySelectorAll('[data-auth]')) {
        const active = wrapper.getAttribute('data-auth') === select.value;
        wrapper.hidden = !active;
        for (const field of wrapper.querySelectorAll('input, textarea')) { field.disabled = !active; field.required = active; }
      }
    };
    select.addEventListener('change', sync);
    sync();
  }

  // --- Overview: queue figures every five seconds ----------------------------------------------

  const liveQueues = document.querySelector('[data-live-queues]');
  if (liveQueues) {
    const refresh = async function () {
      try {
        const response = await fetch('/api/metrics/queues', { credentials: 'same-origin', headers: { 'Accept': 'application/json' } });
        if (!response.ok) return;
        const payload = await response.json();
        for (const queue of payload.data || []) {
          const card = liveQueues.querySelector('[data-queue="' + CSS.escape(queue.queue) + '"]');
          if (!card) continue;
          const figures = { waiting: queue.waiting + queue.prioritized + queue.paused, active: queue.active, delayed: queue.delayed,
                            failed: queue.failed, completed: queue.completed, workers: queue.workers };
          for (const name of Object.keys(figures)) {
            const cell = card.querySelector('[data-count="' + name + '"]');
            if (cell) cell.textContent = String(figures[name]);
          }
          card.querySelector('[data-failed-box]').classList.toggle('bad', queue.failed > 0);
          const health = card.querySelector('[data-health]');
          health.textContent = queue.health.status;
          health.className = 'badge tone-' + (queue.health.status === 'ok' ? 'ok' : 'bad');
          const reasons = card.querySelector('[data-reasons]');
          reasons.replaceChildren(...queue.health.reasons.map(function (text) { const li = document.createElement('li'); li.textContent = text; return li; }));
          card.querySelector('[data-paused-badge]').hidden = !queue.isPaused;
          const pause = card.querySelector('[data-pause]');
          const resume = card.querySelector('[data-resume]');
          if (pause) pause.hidden = queue.isPaused;
          if (resume) resume.hidden = !queue.isPaused;
        }
      } catch (ignored) { /* the next refresh tries again */ }
    };
    setInterval(refresh, 5000);
  }

  // --- Live job progress from GET /api/jobs/:id/events (Server-Sent Events) ---------------------

  function describe(progress) {
    if (progress === null || progress === undefined) return { percent: null, detail: '' };
    if (typeof progress === 'number') return { percent: progress, detail: '' };
    const percent = typeof progress.percent === 'number' ? progress.percent : null;
    const parts = [];
    if (progress.phase) parts.push(String(progress.phase));
    if (typeof progress.bytes === 'number') parts.push(formatBytes(progress.bytes) + ' received');
    return { percent: percent, detail: parts.join(' · ') };
  }

  function setProgress(box, percent, detail) {
    const bar = box.querySelector('[data-progress]');
    const text = box.querySelector('[data-percent]');
    const info = box.querySelector('[data-progress-detail]');
    if (bar) {
      if (percent === null) { bar.removeAttribute('value'); } else { bar.value = Math.max(0, Math.min(100, percent)); }
      bar.classList.toggle('done', percent === 100);
      bar.setAttribute('aria-valuetext', percent === null ? 'running' : percent + ' %');
    }
    if (text) text.textContent = percent === null ? (detail || 'running') : percent + ' %';
    if (info && detail) info.textContent = detail;
  }

  function setState(box, state) {
    const badges = Array.from(box.querySelectorAll('[data-job-state]'));
    if (box.hasAttribute('data-job-page')) badges.push(...document.querySelectorAll('h1 [data-job-state]'));
    for (const badge of badges) {
      badge.textContent = state;
      badge.className = 'badge tone-' + ({ completed: 'ok', failed: 'bad', active: 'info' }[state] || 'warn');
    }
  }

  async function fillRecord(box) {
    const url = box.getAttribute('data-record');
    if (!url) return;
    try {
      const response = await fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } });
      if (!response.ok) return;
      const record = (await response.json()).data || {};
      const set = function (name, value) { const cell = box.querySelector('[data-field="' + name + '"]'); if (cell) cell.textContent = value; };
      set('status', record.status);
      set('size', formatBytes(record.size));
      if (record.sha256) { set('sha256', record.sha256.slice(0, 12) + '…'); box.querySelector('[data-field="sha256"]').title = record.sha256; }
      set('verification', record.verification);
      const verification = box.querySelector('[data-field="verification"]');
      if (verification) verification.className = 'badge tone-' + ({ verified: 'ok', failed: 'bad' }[record.verification] || 'warn');
    } catch (ignored) { /* the row stays as the stream left it */ }
  }

  function follow(box, attempt) {
    const id = box.getAttribute('data-job-events');
    const source = new EventSource('/api/jobs/' + encodeURIComponent(id) + '/events');
    let finished = false;
    const finish = function (state, payload) {
      finished = true;
      source.close();
      if (state === 'completed') setProgress(box, 100, '');
      setState(box, state);
      if (state === 'failed' && payload && payload.failedReason) toast('Job failed: ' + payload.failedReason, 'bad');
      fillRecord(box);
    };
    const onProgress = function (progress) { const seen = describe(progress); setProgress(box, seen.percent, seen.detail); };
    source.addEventListener('state', function (event) {
      const data = JSON.parse(event.data);
      if (data.progress !== undefined) onProgress(data.progress);
      if (data.state === 'completed' || data.state === 'failed') { finish(data.state, data); return; }
      setState(box, data.state === 'unknown' ? 'waiting' : data.state);
    });
    source.addEventListener('progress', function (event) { onProgress(JSON.parse(event.data).progress); });
    for (const name of ['active', 'waiting', 'delayed', 'stalled']) {
      source.addEventListener(name, function () { setState(box, name === 'stalled' ? 'waiting' : name); if (name === 'active') setProgress(box, null, 'started'); });
    }
    source.addEventListener('completed', function (event) { finish('completed', JSON.parse(event.data)); });
    source.addEventListener('failed', function (event) { finish('failed', JSON.parse(event.data)); });
    source.addEventListener('retries-exhausted', function (event) { finish('failed', JSON.parse(event.data)); });
    // Signed out (here or elsewhere) or deactivated: reconnecting would only be refused.
    source.addEventListener('closed', function (event) {
      if (JSON.parse(event.data).reason !== 'signed_out') return;
      finished = true;
      source.close();
      toast('Live progress stopped: your session ended. Sign in again to follow this job.', 'bad');
    });
    source.onerror = function () {
      if (finished) return;
      // A job not enqueued yet answers 404, which ends an EventSource for good: try again a few times.
      if (source.readyState === EventSource.CLOSED && attempt < 20) setTimeout(function () { follow(box, attempt + 1); }, 1500);
    };
  }

  // Browsers allow six connections per host: follow at most four jobs at once.
  const boxes = Array.from(document.querySelectorAll('[data-job-events]:not([data-finished])')).slice(0, 4);
  for (const box of boxes) { if (box.matches('section')) box.setAttribute('data-job-page', ''); follow(box, 0); }

  // --- Schedule form: the next runs of the cron and time zone as they are typed -----------------

  const editor = document.querySelector('form[data-preview]');
  if (editor) {
    const cron = editor.querySelector('[data-preview-cron]');
    const zone = editor.querySelector('[data-preview-zone]');
    const list = editor.querySelector('[data-preview-list]');
    const problem = editor.querySelector('[data-preview-error]');
    let timer = null;
    const preview = async function () {
      const url = editor.getAttribute('data-preview') + '?cron=' + encodeURIComponent(cron.value) + '&timezone=' + encodeURIComponent(zone.value);
      try {
        const response = await fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } });
        const answer = await response.json();
        if (answer.ok) {
          problem.hidden = true;
          cron.removeAttribute('aria-invalid');
          zone.removeAttribute('aria-invalid');
          list.replaceChildren(...answer.runs.map(function (run, index) {
            const li = document.createElement('li');
            li.textContent = run;
            li.title = answer.utc[index];
            return li;
          }));
        } else {
          list.replaceChildren();
          problem.hidden = false;
          problem.textContent = answer.error;
          (answer.field === 'timezone' ? zone : cron).setAttribute('aria-invalid', 'true');
        }
      } catch (ignored) { /* keep the last preview */ }
    };
    const schedule = function () { clearTimeout(timer); timer = setTimeout(preview, 250); };
    cron.addEventListener('input', schedule);
    zone.addEventListener('input', schedule);
    zone.addEventListener('change', schedule);
    preview();
  }
})();
