// daogou page: asks POST /api/recommend and shows every product with its explanation.
// Every string from the server or the shopper goes through textContent or an attribute,
// never through innerHTML.
'use strict';

(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';

  // The page's strings come from GET /api/messages: the same message tables (one per
  // language) the server writes its sentences from. The language is the one the shopper
  // chose with the switch, else the language of the last request, else the browser's.
  let strings = null;
  let categories = {};
  let language = 'en';
  const LANGUAGE_KEY = 'daogou-language';
  const chosenLanguage = () => {
    try {
      return window.localStorage.getItem(LANGUAGE_KEY);
    } catch (_) {
      return null;
    }
  };

  /** The string `key` in the page's language, `{name}` placeholders filled from `vars`. */
  function tr(key, vars = {}) {
    let text = strings && typeof strings[key] === 'string' ? strings[key] : key;
    for (const [name, value] of Object.entries(vars)) text = text.split(`{${name}}`).join(String(value));
    return text;
  }

  /** Explanation method names the server reports, per method the page asks for. */
  const METHOD_IDS = {
    shap: ['exact_shapley', 'owen_values', 'kernel_shap', 'permutation_shap'],
    lime: ['lime'],
    integrated_gradients: ['integrated_gradients'],
    attention: ['attention'],
    occlusion: ['occlusion'],
  };
  const methodText = (method) => tr(`method_${method}`);

  // Diverging scale: blue (lowers the score) – neutral – orange-red (raises it).
  const NEUTRAL = [246, 247, 249];
  const POSITIVE = [214, 84, 48];
  const NEGATIVE = [44, 123, 182];
  // Sequential scale of the heatmap.
  const HEAT_LOW = [248, 250, 252];
  const HEAT_HIGH = [49, 46, 129];

  const $ = (selector) => document.querySelector(selector);

  /** An element; `text` sets textContent, strings in `children` become text nodes. */
  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of [].concat(children)) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  /** An SVG element. */
  function svg(tag, attrs = {}, children = []) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    for (const child of [].concat(children)) if (child) node.append(child);
    return node;
  }

  const range = (n) => Array.from({ length: n }, (_, i) => i);
  const signed = (v, digits = 3) => (v >= 0 ? '+' : '−') + Math.abs(v).toFixed(digits);
  const percent = (p) => `${Math.round(p * 100)}%`;

  function mix(a, b, t) {
    return a.map((x, i) => Math.round(x + (b[i] - x) * t));
  }
  const rgb = (c) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

  /** Background and text colour of an attribution on the diverging scale. */
  function attributionColour(value, maxAbs) {
    const t = maxAbs > 0 ? Math.min(1, Math.abs(value) / maxAbs) : 0;
    const colour = mix(NEUTRAL, value >= 0 ? POSITIVE : NEGATIVE, t);
    return { background: rgb(colour), text: t > 0.55 ? '#ffffff' : '#1b2330' };
  }

  /** A price as the page's language writes it (whole yuan without decimals in Chinese). */
  function formatPrice(price) {
    if (!price) return tr('no_price');
    const chinese = language === 'zh-CN';
    const whole = Math.round(price.amount * 100) % 100 === 0;
    const digits = chinese && price.currency === 'CNY' && whole ? 0 : 2;
    try {
      return new Intl.NumberFormat(chinese ? 'zh-CN' : 'en-US', {
        style: 'currency',
        currency: price.currency,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      }).format(price.amount);
    } catch (_) {
      return `${price.amount} ${price.currency}`;
    }
  }

  /** Maps UTF-8 byte offsets (the server's spans) to JavaScript string indices. */
  function byteOffsets(text) {
    const map = new Array(1);
    let byte = 0;
    for (let i = 0; i < text.length;) {
      const cp = text.codePointAt(i);
      const units = cp > 0xffff ? 2 : 1;
      const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      for (let k = 0; k < bytes; k += 1) map[byte + k] = i;
      byte += bytes;
      i += units;
    }
    map[byte] = text.length;
    return (offset) => (offset >= 0 && offset < map.length && map[offset] !== undefined
      ? map[offset] : null);
  }

  /** `text` with the byte spans in `spans` wrapped in <mark class="match">. */
  function highlighted(tag, className, text, spans) {
    const node = el(tag, { class: className });
    const index = byteOffsets(text);
    const ranges = spans
      .map((s) => [index(s.start), index(s.end)])
      .filter(([a, b]) => a !== null && b !== null && b > a)
      .sort((x, y) => x[0] - y[0]);
    let cursor = 0;
    for (const [start, end] of ranges) {
      if (start < cursor) continue;
      if (start > cursor) node.append(text.slice(cursor, start));
      node.append(el('mark', { class: 'match', text: text.slice(start, end) }));
      cursor = end;
    }
    if (cursor < text.length) node.append(text.slice(cursor));
    return node;
  }

  // ---------- server calls ----------

  async function api(path, body) {
    const response = await fetch(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const message = data && typeof data.error === 'string'
        ? data.error : `the server answered ${response.status}`;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // ---------- language ----------

  /** Loads the strings of `wanted` (a tag; null: the browser's language) and redraws. */
  async function loadStrings(wanted) {
    const data = await api(wanted ? `/api/messages?lang=${encodeURIComponent(wanted)}` : '/api/messages');
    strings = data.page;
    categories = data.categories;
    language = data.language;
    applyStrings();
  }

  /** Puts the strings into the static page and redraws what is shown. */
  function applyStrings() {
    document.documentElement.lang = tr('html_lang');
    document.title = `daogou 导购 · ${tr('tagline')}`;
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = tr(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
      node.placeholder = tr(node.dataset.i18nPlaceholder);
    }
    for (const node of document.querySelectorAll('[data-i18n-title]')) {
      node.title = tr(node.dataset.i18nTitle);
    }
    const examples = $('#examples');
    examples.replaceChildren(
      el('span', { class: 'examples-label', text: tr('try') }),
      ...(strings.examples || []).map((example) => el('button', {
        type: 'button',
        class: 'chip',
        text: example,
        onclick: () => {
          $('#request').value = example;
          submit();
        },
      })),
    );
    showHealth();
    setBusy(false);
    if (lastAnswer) render(lastAnswer.answer, lastAnswer.method);
  }

  function switchLanguage() {
    const next = language === 'zh-CN' ? 'en' : 'zh-CN';
    try {
      window.localStorage.setItem(LANGUAGE_KEY, next);
    } catch (_) {
      // Without storage the choice lasts until the page is reloaded.
    }
    loadStrings(next).catch((error) => showError(error.message));
  }

  // ---------- health ----------

  let ready = false;
  let health = { state: 'connecting' };

  function showHealth() {
    const pill = $('#health');
    const looks = {
      connecting: ['pill pill-muted', tr('connecting')],
      ok: ['pill pill-ok', tr('ready', { products: health.products })],
      loading: ['pill pill-loading', tr('model_loading')],
      failed: ['pill pill-error', tr('model_failed')],
      unreachable: ['pill pill-error', tr('unreachable')],
    }[health.state];
    [pill.className, pill.textContent] = looks;
  }

  async function pollHealth() {
    try {
      if (!strings) await loadStrings(chosenLanguage());
      const answer = await api('/api/health');
      if (answer.status === 'ok') {
        ready = true;
        health = { state: 'ok', products: answer.products };
        showHealth();
        setBusy(false);
        return;
      }
      health = { state: 'loading' };
    } catch (error) {
      health = { state: error.status === 503 ? 'failed' : 'unreachable' };
      if (error.status === 503) {
        showHealth();
        return;
      }
    }
    showHealth();
    window.setTimeout(pollHealth, 1000);
  }

  // ---------- form ----------

  function selectedMethod() {
    const checked = document.querySelector('input[name="method"]:checked');
    return checked ? checked.value : 'shap';
  }

  function setBusy(busy) {
    $('#busy').hidden = !busy;
    const button = $('#submit');
    button.disabled = busy || !ready;
    button.textContent = ready ? tr(busy ? 'working' : 'recommend') : tr('loading_model');
  }

  function showError(message) {
    const box = $('#error');
    box.textContent = message;
    box.hidden = !message;
  }

  let lastAnswer = null;

  async function submit(event) {
    if (event) event.preventDefault();
    const request = $('#request').value.trim();
    if (!request || !ready) return;
    const method = selectedMethod();
    const explain = method === 'attention' ? ['attention'] : [method, 'attention'];
    showError('');
    setBusy(true);
    try {
      const answer = await api('/api/recommend', {
        request,
        k: Number($('#k').value),
        explain,
      });
      lastAnswer = { answer, method };
      if (!chosenLanguage() && answer.language !== language) await loadStrings(answer.language);
      else render(answer, method);
    } catch (error) {
      showError(error.message);
    } finally {
      setBusy(false);
    }
  }

  // ---------- rendering ----------

  /** The explanation of the chosen method; when the server's evaluation budget did not
   *  allow it, the cheaper one it fell back to (its `fallback` says why). */
  function explanationFor(answer, item, method) {
    if (method === 'attention') return answer.attention ? answer.attention.explanation : null;
    const ids = METHOD_IDS[method] || [];
    return item.explanations.find((e) => ids.includes(e.method))
      || item.explanations.find((e) => e.fallback)
      || null;
  }

  function render(answer, method) {
    const explanations = answer.items.map((item) => explanationFor(answer, item, method));
    let maxAbs = 0;
    for (const e of explanations) {
      if (e) for (const v of e.values) maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    let maxContribution = 0;
    for (const item of answer.items) {
      for (const c of item.components) {
        maxContribution = Math.max(maxContribution, Math.abs(c.contribution));
      }
    }
    renderSummary(answer);
    renderLegend(method, maxAbs, explanations.find(Boolean));
    const results = $('#results');
    results.replaceChildren(
      el('h2', {
        class: 'results-title',
        text: answer.items.length === 0
          ? tr('results_none', { request: answer.request })
          : tr('results', { count: answer.items.length, request: answer.request }),
      }),
      ...answer.items.map((item, i) => productCard(answer, item, explanations[i], {
        method, maxAbs, maxContribution,
      })),
    );
  }

  function renderSummary(answer) {
    const summary = $('#summary');
    const sceneCard = el('div', { class: 'card' }, [el('h2', { text: tr('scene') })]);
    const scene = answer.scene;
    if (scene && scene.scene) {
      sceneCard.append(el('div', {}, [
        el('span', { class: 'scene-name', text: scene.scene.name }),
        el('span', { class: 'scene-prob', text: percent(scene.scene.probability) }),
      ]));
    } else if (scene) {
      sceneCard.append(el('div', {}, [
        el('span', { class: 'scene-name', text: tr('scene_none') }),
        el('span', { class: 'scene-prob', text: percent(scene.none_probability) }),
      ]));
    }
    if (scene) {
      const rows = scene.ranking.slice(0, 3).map((s) => {
        const fill = el('div', { class: 'fill' });
        fill.style.width = `${Math.max(1, s.probability * 100)}%`;
        return el('div', { class: 'scene-row' }, [
          el('span', { text: s.name }),
          el('div', { class: 'track' }, [fill]),
          el('span', { text: percent(s.probability) }),
        ]);
      });
      sceneCard.append(el('div', { class: 'scene-rank' }, rows));
    }

    const insights = el('div', { class: 'insights' });
    for (const notice of answer.notices) {
      insights.append(el('div', { class: 'alert alert-warn notice', text: notice }));
    }
    if (answer.counterfactual) {
      const cf = answer.counterfactual;
      insights.append(el('div', { class: 'counterfactual' }, [
        el('b', { text: tr('counterfactual') }),
        cf.sentence,
      ]));
    }
    const s = answer.stats;
    insights.append(el('div', {
      class: 'stats',
      text: tr('stats', {
        candidates: s.candidates,
        evals: s.model_evals,
        retrieval: Math.round(s.retrieval_ms),
        explain: Math.round(s.explain_ms),
      }),
    }));
    const insightCard = el('div', { class: 'card' }, [el('h2', { text: tr('about') }), insights]);
    summary.replaceChildren(sceneCard, insightCard);
    summary.hidden = false;
  }

  function renderLegend(method, maxAbs, sample) {
    const legend = $('#legend');
    const positiveOnly = method === 'attention';
    const low = positiveOnly ? NEUTRAL : NEGATIVE;
    const bar = el('div', { class: 'legend-bar' });
    bar.style.background = positiveOnly
      ? `linear-gradient(90deg, ${rgb(NEUTRAL)}, ${rgb(POSITIVE)})`
      : `linear-gradient(90deg, ${rgb(low)}, ${rgb(NEUTRAL)}, ${rgb(POSITIVE)})`;
    const ticks = positiveOnly
      ? [el('span', { text: '0' }), el('span', { text: maxAbs.toFixed(3) })]
      : [el('span', { text: signed(-maxAbs) }), el('span', { text: '0' }),
        el('span', { text: signed(maxAbs) })];
    const methodName = sample ? sample.method.replace(/_/g, ' ') : method;
    const fallback = sample && sample.fallback
      ? el('div', {
        class: 'alert alert-warn fallback-note',
        text: tr('fallback', { method, why: sample.fallback }),
      })
      : null;
    legend.replaceChildren(
      el('div', { class: 'legend-item' }, [
        el('div', { class: 'legend-scale' }, [bar, el('div', { class: 'legend-ticks' }, ticks)]),
        el('div', {}, [
          el('div', { class: 'legend-title', text: tr('word_attribution', { method: methodName }) }),
          el('div', { text: positiveOnly ? methodText(method)
            : `${(sample && sample.fallback && strings[`method_${sample.method}`]
              && methodText(sample.method)) || methodText(method)}${tr('colours')}` }),
        ]),
      ]),
      el('div', { class: 'legend-item' }, [
        el('span', { class: 'filter' }, [
          el('span', { class: 'filter-text', text: tr('legend_filter_example') }),
        ]),
        el('span', { text: tr('legend_filter') }),
      ]),
      el('div', { class: 'legend-item' }, [
        el('mark', { class: 'match', text: tr('legend_match_example') }),
        el('span', { text: tr('legend_match') }),
      ]),
      ...(fallback ? [fallback] : []),
    );
    legend.hidden = false;
  }

  /** The request, word by word: descriptive words coloured, filters as dashed chips. */
  function requestWords(answer, explanation, maxAbs) {
    const text = answer.parsed.text;
    const index = byteOffsets(text);
    const node = el('p', { class: 'words' });
    const words = answer.words;
    for (let i = 0; i < words.length; i += 1) {
      const word = words[i];
      const start = index(word.span.start);
      let end = index(word.span.end);
      if (start === null || end === null) continue;
      if (word.constraint) {
        while (i + 1 < words.length && words[i + 1].constraint === word.constraint) {
          i += 1;
          end = index(words[i].span.end) ?? end;
        }
        node.append(el('span', {
          class: 'filter',
          title: tr('filter_title', { constraint: word.constraint }),
        }, [
          el('span', { class: 'filter-text', text: text.slice(start, end) }),
          el('span', { class: 'filter-label', text: word.constraint }),
        ]));
        continue;
      }
      const value = explanation && word.feature !== null && word.feature !== undefined
        ? explanation.values[word.feature] : null;
      const chip = el('span', { class: 'word' }, [
        el('span', { class: 'word-text', text: text.slice(start, end) }),
        el('span', { class: 'word-value', text: value === null ? '·' : signed(value, 2) }),
      ]);
      if (value !== null && value !== undefined) {
        const colour = attributionColour(value, maxAbs);
        chip.style.background = colour.background;
        chip.style.color = colour.text;
        chip.title = `${word.text}: ${signed(value, 4)} (${explanation.method})`;
      }
      node.append(chip);
    }
    return node;
  }

  function componentBars(item, maxContribution) {
    const rows = item.components.map((c) => {
      const fill = el('div', {
        class: `fill fill-${c.contribution < 0 ? 'negative' : c.name}`,
      });
      const share = maxContribution > 0 ? Math.abs(c.contribution) / maxContribution : 0;
      fill.style.width = `${Math.max(0.5, share * 100)}%`;
      const how = c.weight == null
        ? tr('learned_value', { value: Number.isFinite(c.value) ? c.value.toFixed(3) : tr('missing') })
        : tr('weighted_value', { value: c.value.toFixed(3), weight: c.weight.toFixed(2) });
      return el('div', { class: 'bar-row', title: `${c.name}: ${how}` }, [
        el('span', { class: 'bar-name', text: c.name }),
        el('div', { class: 'track' }, [fill]),
        el('span', { class: 'bar-value', text: signed(c.contribution) }),
      ]);
    });
    const base = item.base ? [el('div', { class: 'bar-row', title: tr('base_title') }, [
      el('span', { class: 'bar-name', text: tr('base') }),
      el('div', { class: 'track' }),
      el('span', { class: 'bar-value', text: signed(item.base) }),
    ])] : [];
    return el('div', { class: 'bars' }, [
      ...base,
      ...rows,
      el('div', { class: 'bar-total' }, [
        el('span', { text: tr('score_total') }),
        el('span', { text: item.score.toFixed(3) }),
      ]),
    ]);
  }

  /** What the product's reviews say: one row per aspect (those the request mentions first,
   *  as the server orders them) with its supporting sentence; text only. */
  function reviewSection(reviews) {
    const rows = reviews.aspects.map((a) => el('li', {
      class: a.asked ? 'review-aspect review-asked' : 'review-aspect',
    }, [
      el('span', { class: 'review-summary', text: a.summary }),
      a.asked ? el('span', { class: 'review-badge', text: tr('you_asked') }) : null,
      ...a.evidence.slice(0, 1).map((e) => el('q', { class: 'review-quote', text: e.text })),
    ]));
    return el('div', { class: 'reviews' }, [
      el('h3', { text: tr('reviewers_say', { reviews: reviews.reviews }) }),
      el('ul', { class: 'review-list' }, rows),
    ]);
  }

  function productCard(answer, item, explanation, scale) {
    const p = item.product;
    const matchesIn = (field) => item.matches.filter((m) => m.field === field)
      .map((m) => m.span);
    const meta = [p.brand, p.category && (categories[p.category] || p.category)].filter(Boolean);
    const metaNode = el('div', { class: 'product-meta' });
    meta.forEach((m, i) => {
      if (i > 0) metaNode.append(el('span', { class: 'dot', text: '·' }));
      metaNode.append(m);
    });
    const head = el('div', { class: 'product-head' }, [
      el('div', { class: 'rank', text: String(item.rank), 'aria-label': tr('rank', { rank: item.rank }) }),
      el('div', {}, [highlighted('h2', 'product-title', p.title, matchesIn('title')), metaNode]),
      el('div', { class: 'price-box' }, [
        el('div', { class: 'price', text: formatPrice(p.price) }),
        el('div', { class: 'score', text: tr('score', { score: item.score.toFixed(3) }) }),
        item.strength ? el('div', {
          class: `strength strength-${item.strength}`,
          text: tr(`strength_${item.strength}`),
        }) : null,
      ]),
    ]);

    const why = el('div', {}, [
      el('div', { class: 'section' }, [
        el('h3', { text: tr('your_request') }),
        requestWords(answer, explanation, scale.maxAbs),
        explanation ? null : el('div', {
          class: 'section-note',
          text: tr('filters_only'),
        }),
      ]),
      p.description ? el('div', { class: 'section' }, [
        el('h3', { text: tr('description') }),
        highlighted('p', 'product-text', p.description, matchesIn('description')),
      ]) : null,
    ]);
    const parts = el('div', {}, [
      el('div', { class: 'section' }, [
        el('h3', { text: tr('components') }),
        componentBars(item, scale.maxContribution),
      ]),
    ]);

    const card = el('article', { class: 'card product', 'data-rank': item.rank }, [
      head,
      el('p', { class: 'narrative', text: item.narrative.sentence }),
      el('div', { class: 'product-body' }, [why, parts]),
      item.reviews ? reviewSection(item.reviews) : null,
    ]);
    if (answer.attention && answer.attention.maps.length > 0) {
      let panel = null;
      const button = el('button', {
        type: 'button',
        class: 'btn btn-ghost attention-toggle',
        'aria-expanded': 'false',
        text: tr('show_attention'),
      });
      button.addEventListener('click', () => {
        if (!panel) {
          panel = attentionPanel(answer.attention);
          card.append(panel);
        } else {
          panel.hidden = !panel.hidden;
        }
        const open = !panel.hidden;
        button.textContent = tr(open ? 'hide_attention' : 'show_attention');
        button.setAttribute('aria-expanded', String(open));
      });
      parts.append(el('div', { class: 'actions' }, [button]));
    }
    return card;
  }

  // ---------- attention heatmap ----------

  let gradientIds = 0;

  /** Attention of one layer and head, or the mean over heads. */
  function attentionMatrix(attention, layer, head) {
    const heads = attention.maps[layer];
    if (head !== 'mean') return heads[Number(head)];
    const n = heads[0].length;
    return range(n).map((q) => range(n).map((k) => heads.reduce((sum, h) => sum + h[q][k], 0)
      / heads.length));
  }

  function attentionPanel(attention) {
    const layers = attention.maps.length;
    const heads = attention.maps[0].length;
    const layerSelect = el('select', { 'aria-label': tr('layer'), class: 'layer-select' },
      range(layers).map((l) => el('option', { value: l, text: tr('layer_n', { n: l + 1 }) })));
    layerSelect.value = String(layers - 1);
    const headSelect = el('select', { 'aria-label': tr('head'), class: 'head-select' }, [
      el('option', { value: 'mean', text: tr('mean_heads') }),
      ...range(heads).map((h) => el('option', { value: h, text: tr('head_n', { n: h + 1 }) })),
    ]);
    const figure = el('div', { class: 'heatmap' });
    const draw = () => {
      const matrix = attentionMatrix(attention, Number(layerSelect.value), headSelect.value);
      figure.replaceChildren(heatmap(attention.tokens, matrix));
    };
    layerSelect.addEventListener('change', draw);
    headSelect.addEventListener('change', draw);
    draw();
    return el('div', { class: 'attention' }, [
      el('h3', { text: tr('attention_title') }),
      el('div', { class: 'attention-controls' }, [
        layerSelect,
        headSelect,
        el('span', {
          class: 'section-note',
          text: tr('attention_note'),
        }),
      ]),
      figure,
    ]);
  }

  function heatmap(tokens, matrix) {
    const n = tokens.length;
    const cell = Math.max(16, Math.min(34, Math.floor(440 / Math.max(n, 1))));
    const longest = Math.max(...tokens.map((t) => t.length), 1);
    const left = 14 + longest * 7.2;
    const top = 18 + longest * 5.6;
    const size = n * cell;
    const legendX = left + size + 24;
    const width = legendX + 70;
    const height = top + size + 12;
    let max = 0;
    for (const row of matrix) for (const v of row) max = Math.max(max, v);
    const root = svg('svg', {
      width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': tr('heatmap'),
    });
    const grid = svg('g', { transform: `translate(${left}, ${top})` });
    matrix.forEach((row, q) => {
      row.forEach((value, k) => {
        const t = max > 0 ? value / max : 0;
        const rect = svg('rect', {
          x: k * cell, y: q * cell, width: cell - 1, height: cell - 1,
          fill: rgb(mix(HEAT_LOW, HEAT_HIGH, Math.sqrt(t))),
        });
        const title = svg('title');
        title.textContent = `${tokens[q]} → ${tokens[k]}: ${value.toFixed(3)}`;
        rect.append(title);
        grid.append(rect);
      });
    });
    root.append(grid);
    tokens.forEach((token, i) => {
      const rowLabel = svg('text', {
        x: left - 6, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'end',
      });
      rowLabel.textContent = token;
      const cx = left + i * cell + cell / 2;
      const colLabel = svg('text', {
        x: cx, y: top - 6, transform: `rotate(-50 ${cx} ${top - 6})`,
      });
      colLabel.textContent = token;
      root.append(rowLabel, colLabel);
    });
    // Colour legend: square-root scale, like the cells.
    gradientIds += 1;
    const id = `heat-gradient-${gradientIds}`;
    const gradient = svg('linearGradient', { id, x1: 0, y1: 1, x2: 0, y2: 0 });
    [0, 0.25, 0.5, 0.75, 1].forEach((t) => {
      gradient.append(svg('stop', {
        offset: t, 'stop-color': rgb(mix(HEAT_LOW, HEAT_HIGH, Math.sqrt(t))),
      }));
    });
    root.append(svg('defs', {}, [gradient]));
    const barHeight = Math.min(size, 160);
    root.append(svg('rect', {
      x: legendX, y: top, width: 12, height: barHeight, fill: `url(#${id})`,
      stroke: '#cbd3de',
    }));
    const maxLabel = svg('text', { x: legendX + 18, y: top + 9 });
    maxLabel.textContent = max.toFixed(2);
    const zeroLabel = svg('text', { x: legendX + 18, y: top + barHeight });
    zeroLabel.textContent = '0';
    root.append(maxLabel, zeroLabel);
    return root;
  }

  // ---------- start ----------

  function start() {
    $('#search-form').addEventListener('submit', submit);
    $('#language').addEventListener('click', switchLanguage);
    for (const radio of document.querySelectorAll('input[name="method"]')) {
      radio.addEventListener('change', () => {
        if (lastAnswer && $('#request').value.trim() === lastAnswer.answer.request) submit();
      });
    }
    setBusy(false);
    pollHealth();
  }

  start();
})();
