// The page of `contrastive serve`: verify (on the server or in this browser), embedding map.
// Plain ES module, no build step; TF.js is the global of /vendor/tf.min.js, mapped to '@tensorflow/tfjs'.
import { loadBrowserBundle } from '/lib/models/browser-bundle.js';

const $ = (id) => document.getElementById(id);
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const files = { a: null, b: null, q: null };
const faceChoice = { a: undefined, b: undefined }; // face mode: which face of each photo, when it holds several
const page = { model: null, browserBundle: null, lastResult: null, mapPoints: [] };
window.contrastivePage = page; // for tests and the curious

function fmt(x, digits = 6) {
  return x === null || x === undefined ? '–' : Number(x).toPrecision(digits);
}

async function api(path, init) {
  const res = await fetch(path, init);
  const body = await res.json();
  if (!res.ok) throw Object.assign(new Error(body.error ?? `HTTP ${res.status}`), { body });
  return body;
}

function faceSummary(model) {
  const f = model.faces;
  const what = f.kind === 'face bundle' ? `face bundle (${f.dim}-d head${model.manifest?.training ? ` trained on ${model.manifest.training.dataset}` : ''})` : 'pretrained face descriptor (face-api, 128-d)';
  return `Faces: ${what}, ${f.detector} detector, threshold ${fmt(f.threshold, 4)}${f.calibrated ? '' : ', no probability calibration'}`;
}

function summary(m) {
  const p = m.input.preprocessing;
  const input = p.kind === 'image' ? `${p.width}x${p.height}x${p.channels} image` : `${p.kind} input`;
  const enc = m.encoder ? m.encoder.kind ?? m.encoder.type ?? 'encoder' : 'custom encoder';
  const thr = m.threshold === null ? 'no threshold (calibrate first)' : `threshold ${fmt(m.threshold, 4)}${m.calibration ? ` (${m.calibration.target})` : ''}`;
  const data = m.training ? `, trained on ${m.training.dataset}` : '';
  return `${enc}, ${input} → ${m.embedding.dim}-d ${m.embedding.normalize ? 'L2-normalised ' : ''}embedding, ${m.embedding.distance} distance, ${thr}${data}`;
}

// ---- verify -------------------------------------------------------------------------------

function setFile(side, file) {
  if (!file) return;
  files[side] = file;
  if (side in faceChoice) {
    faceChoice[side] = undefined;
    $(`faces-${side}`).setAttribute('hidden', ''); // an SVG element has no .hidden property
  }
  const img = $(`preview-${side}`);
  img.src = URL.createObjectURL(file);
  img.hidden = false;
  $(`drop-${side}`).classList.add('filled');
  $('verify-btn').disabled = !(files.a && files.b);
  $('search-btn').disabled = !files.q;
}

for (const side of ['a', 'b', 'q']) {
  const drop = $(`drop-${side}`);
  $(side === 'q' ? 'search-file' : `file-${side}`).addEventListener('change', (e) => setFile(side, e.target.files[0]));
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); setFile(side, e.dataTransfer.files[0]); });
}

function mode() {
  return $('mode-browser').checked ? 'browser' : 'server';
}

async function inBrowserBundle() {
  page.browserBundle ??= (async () => {
    const tf = globalThis.tf;
    tf.wasm.setWasmPaths('/vendor/');
    // setBackend answers false (it does not throw) when the backend cannot start.
    if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js wasm backend could not start in this browser');
    await tf.ready();
    return loadBrowserBundle('/bundle');
  })();
  try {
    return await page.browserBundle;
  } catch (err) {
    page.browserBundle = null;
    throw err;
  }
}

async function verifyOnServer() {
  const form = new FormData();
  form.append('a', files.a, files.a.name);
  form.append('b', files.b, files.b.name);
  if (faceChoice.a !== undefined) form.append('faceA', String(faceChoice.a));
  if (faceChoice.b !== undefined) form.append('faceB', String(faceChoice.b));
  return api('/api/verify', { method: 'POST', body: form });
}

// Decoded as the file's own pixels: no colour-space conversion or premultiplied alpha.
const bitmap = (file) => createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });

async function verifyInBrowser() {
  const bundle = await inBrowserBundle();
  const [a, b] = await Promise.all([bitmap(files.a), bitmap(files.b)]);
  try {
    return await bundle.verify(a, b);
  } finally {
    a.close();
    b.close();
  }
}

function drawScale(r) {
  const svg = $('scale');
  const max = Math.max(r.threshold * 2, r.distance * 1.15, 1e-6);
  const x = (d) => 10 + (380 * Math.min(d, max)) / max;
  const colour = r.same ? 'var(--same)' : 'var(--diff)';
  svg.innerHTML = `
    <rect x="10" y="18" width="${x(r.threshold) - 10}" height="12" fill="#d8f0de"/>
    <rect x="${x(r.threshold)}" y="18" width="${390 - x(r.threshold)}" height="12" fill="#f6dcd8"/>
    <line x1="${x(r.threshold)}" x2="${x(r.threshold)}" y1="10" y2="38" stroke="#1d2430" stroke-width="2" stroke-dasharray="3 2"/>
    <text x="${x(r.threshold)}" y="50" font-size="11" text-anchor="middle" fill="#1d2430">threshold ${fmt(r.threshold, 3)}</text>
    <circle cx="${x(r.distance)}" cy="24" r="7" fill="${colour}" stroke="#fff" stroke-width="2"/>
    <text x="${x(r.distance)}" y="9" font-size="11" text-anchor="middle" fill="${colour}">d = ${fmt(r.distance, 3)}</text>
    <text x="10" y="50" font-size="10" fill="#5b6575">0</text>
    <text x="390" y="50" font-size="10" text-anchor="end" fill="#5b6575">${fmt(max, 3)}</text>`;
}

// Face mode: every box found in the photo (numbered left to right), the chosen one highlighted; click one to choose it.
function drawFaces(side, boxes, image, chosenIndex) {
  const svg = $(`faces-${side}`);
  svg.setAttribute('viewBox', `0 0 ${image.width} ${image.height}`);
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  const stroke = Math.max(image.width, image.height) / 75;
  svg.innerHTML = boxes
    .map((b, i) => {
      const c = i === chosenIndex ? ' class="chosen"' : '';
      return `<rect data-face="${i}"${c} x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" stroke-width="${stroke}"><title>face ${i} (score ${b.score.toFixed(2)})</title></rect>` +
        `<text${c} x="${b.x}" y="${b.y - stroke}" font-size="${stroke * 6}">${i}</text>`;
    })
    .join('');
  svg.dataset.boxes = String(boxes.length);
  svg.removeAttribute('hidden');
  for (const rect of svg.querySelectorAll('rect')) {
    rect.addEventListener('click', (e) => {
      e.preventDefault(); // not the file picker of the label
      e.stopPropagation();
      faceChoice[side] = Number(rect.dataset.face);
      $('verify-btn').click();
    });
  }
}

function showResult(r, where) {
  page.lastResult = { ...r, mode: where };
  $('result').hidden = false;
  $('result-verdict').innerHTML = `<span class="${r.same ? 'same' : 'different'}">${r.same ? 'same' : 'different'}</span>`;
  $('result-distance').textContent = fmt(r.distance);
  $('result-threshold').textContent = fmt(r.threshold);
  $('result-probability').textContent = r.probability === null ? 'not calibrated' : r.probability.toFixed(4);
  $('result-mode').textContent =
    where === 'browser'
      ? `Computed in this browser with TF.js (${globalThis.tf.getBackend()} backend); the images were not sent to the server.`
      : 'Computed by the server (POST /api/verify).';
  $('result-mode').dataset.mode = where;
  if (r.faces) {
    for (const side of ['a', 'b']) drawFaces(side, r.faces[side], r.images[side], r.chosen[side]);
    $('result-mode').textContent += ` Faces detected, described and compared on the server: A face ${r.chosen.a} of ${r.faces.a.length}, B face ${r.chosen.b} of ${r.faces.b.length}.`;
  }
  drawScale(r);
}

$('verify-btn').addEventListener('click', async () => {
  const where = mode();
  $('verify-btn').disabled = true;
  $('verify-error').hidden = true;
  $('result').dataset.state = 'busy';
  try {
    showResult(where === 'browser' ? await verifyInBrowser() : await verifyOnServer(), where);
  } catch (err) {
    $('verify-error').textContent = `${where === 'browser' ? 'in this browser' : 'server'}: ${err.message}`;
    $('verify-error').hidden = false;
    const body = err.body;
    if (body?.faces && body.image) {
      drawFaces(body.field, body.faces, body.image, undefined);
      if (body.faces.length > 1) $('verify-error').textContent += ' Click a face to choose it.';
    }
  } finally {
    $('result').dataset.state = 'done';
    $('verify-btn').disabled = !(files.a && files.b);
  }
});

// ---- search -------------------------------------------------------------------------------

function modeNote(where, endpoint) {
  return where === 'browser'
    ? `Embedded in this browser with TF.js (${globalThis.tf.getBackend()} backend); only the embedding was sent to ${endpoint}.`
    : `Computed by the server (POST ${endpoint}).`;
}

async function searchOnServer(k) {
  const form = new FormData();
  form.append('image', files.q, files.q.name);
  form.append('k', String(k));
  return api('/api/search', { method: 'POST', body: form });
}

async function searchInBrowser(k) {
  const bundle = await inBrowserBundle();
  const q = await bitmap(files.q);
  let embedding;
  try {
    [embedding] = await bundle.embed([q]);
  } finally {
    q.close();
  }
  const body = JSON.stringify({ embedding: Array.from(embedding), k });
  return api('/api/search', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
}

function showHits(results, where) {
  page.lastSearch = { results, mode: where };
  $('search-results').innerHTML = '';
  for (const hit of results) {
    const li = document.createElement('li');
    const img = document.createElement('img');
    img.src = `/api/picture?id=${encodeURIComponent(hit.id)}`;
    img.alt = hit.source ?? hit.id;
    img.onerror = () => img.replaceWith(document.createTextNode('(no picture)'));
    li.append(img, `${hit.label ?? '?'} · d ${hit.distance.toFixed(4)}`);
    li.title = hit.source ?? hit.id;
    $('search-results').append(li);
  }
  $('search-mode').textContent = modeNote(where, '/api/search');
  $('search-mode').dataset.mode = where;
}

$('search-btn').addEventListener('click', async () => {
  const where = mode();
  const k = Number($('search-k').value);
  $('search-btn').disabled = true;
  $('search-error').hidden = true;
  try {
    const { results } = where === 'browser' ? await searchInBrowser(k) : await searchOnServer(k);
    showHits(results, where);
  } catch (err) {
    $('search-error').textContent = `${where === 'browser' ? 'in this browser' : 'server'}: ${err.message}`;
    $('search-error').hidden = false;
  } finally {
    $('search-btn').disabled = !files.q;
  }
});

// ---- embedding map ------------------------------------------------------------------------

async function drawMap() {
  $('map-panel').hidden = false;
  let map;
  try {
    map = await api('/api/map');
  } catch (err) {
    $('map-note').textContent = `no map: ${err.message}`;
    return;
  }
  const canvas = $('map');
  const ctx = canvas.getContext('2d');
  const pad = 16;
  const xs = map.points.map((p) => p.x);
  const ys = map.points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (canvas.width - 2 * pad) / (x1 - x0 || 1);
  const sy = (canvas.height - 2 * pad) / (y1 - y0 || 1);
  page.mapPoints = map.points.map((p, i) => ({ ...p, i, cx: pad + (p.x - x0) * sx, cy: canvas.height - pad - (p.y - y0) * sy }));
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const p of page.mapPoints) {
    ctx.beginPath();
    ctx.arc(p.cx, p.cy, 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = PALETTE[((p.label % 10) + 10) % 10];
    ctx.globalAlpha = 0.8;
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  const labels = [...new Set(map.points.map((p) => p.label))].sort((a, b) => a - b);
  $('map-legend').innerHTML = labels.map((l) => `<span style="--c:${PALETTE[((l % 10) + 10) % 10]}">class ${l}</span>`).join('');
  $('map-note').textContent = `${map.points.length} ${map.dataset} examples of the ${map.split} split, ${map.method.toUpperCase()} of their embeddings; hover to see one.`;
  canvas.dataset.points = String(map.points.length);

  const tip = $('map-tip');
  canvas.addEventListener('mousemove', (e) => {
    const r = canvas.getBoundingClientRect();
    const mx = ((e.clientX - r.left) * canvas.width) / r.width;
    const my = ((e.clientY - r.top) * canvas.height) / r.height;
    let best = null;
    let bestD = 64;
    for (const p of page.mapPoints) {
      const d = (p.cx - mx) ** 2 + (p.cy - my) ** 2;
      if (d < bestD) [best, bestD] = [p, d];
    }
    if (!best) {
      tip.hidden = true;
      return;
    }
    if (map.thumbnails) $('map-tip-img').src = `/api/map/${best.i}.png`;
    $('map-tip-img').hidden = !map.thumbnails;
    $('map-tip-text').textContent = `class ${best.label}\n${best.row}`;
    tip.style.left = `${Math.min(best.cx + 12, canvas.width - 190)}px`;
    tip.style.top = `${Math.max(best.cy - 50, 0)}px`;
    tip.dataset.point = String(best.i);
    tip.hidden = false;
  });
  canvas.addEventListener('mouseleave', () => (tip.hidden = true));
}

// ---- start --------------------------------------------------------------------------------

try {
  page.model = await api('/api/model');
  $('model-summary').textContent = page.model.faces ? faceSummary(page.model) : summary(page.model.manifest);
  if (page.model.features.faces) {
    // face-api does not run in this page: the photos go to the server, and the page says so.
    document.body.classList.add('faces');
    $('verify-panel').querySelector('h2').textContent = 'Verify: the same person?';
    $('mode-browser').disabled = true;
    $('mode-browser').parentElement.title = 'faces are verified on the server';
    $('faces-note').textContent = 'Faces are detected and verified on the server (face-api does not run in this page); pick photos with faces.';
    $('faces-note').hidden = false;
  }
  if (!page.model.features.verify) {
    $('verify-panel').innerHTML = '<h2>Verify</h2><p class="note">This bundle does not take images; use the JSON API.</p>';
  }
  if (page.model.features.search) {
    $('search-panel').hidden = false;
    const ix = page.model.index;
    $('search-note').textContent = `${ix.items} items in ${ix.where}, ranked by ${ix.distance} distance.`;
  }
  if (page.model.features.map) await drawMap();
  document.body.dataset.ready = 'true';
} catch (err) {
  $('model-summary').textContent = `cannot load the model: ${err.message}`;
}
