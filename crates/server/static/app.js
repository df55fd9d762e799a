// daogou page: asks POST /api/recommend and shows every product with its explanation.
// Every string from the server or the shopper goes through textContent or an attribute,
// never through innerHTML.
'use strict';

(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const EXAMPLES = [
    'warm waterproof jacket for hiking under 200 dollars',
    'a gift for my mom who loves gardening',
    'cheap wireless earbuds for running',
    'quiet coffee grinder for a small kitchen',
  ];

  /** Explanation method names the server reports, per method the page asks for. */
  const METHOD_IDS = {
    shap: ['exact_shapley', 'kernel_shap', 'permutation_shap'],
    lime: ['lime'],
    integrated_gradients: ['integrated_gradients'],
    attention: ['attention'],
    occlusion: ['occlusion'],
  };
  const METHOD_TEXT = {
    shap: 'Shapley values of the word-dependent score (semantic + keyword)',
    lime: 'LIME weights of the word-dependent score (semantic + keyword)',
    integrated_gradients: 'Integrated Gradients of the semantic match',
    attention: 'attention rollout from [CLS] (the same for every product)',
    occlusion: 'score drop when the word is left out (semantic + keyword)',
  };

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
  const quoted = (words) => words.map((w) => `“${w}”`).join(' and ');

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

  function formatPrice(price) {
    if (!price) return 'no price';
    try {
      return new Intl.NumberFormat('en-US', { style: 'currency', currency: price.currency })
        .format(price.amount);
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

  // ---------- health ----------

  let ready = false;

  async function pollHealth() {
    const pill = $('#health');
    try {
      const health = await api('/api/health');
      if (health.status === 'ok') {
        ready = true;
        pill.className = 'pill pill-ok';
        pill.textContent = `Ready · ${health.products} products`;
        setBusy(false);
        return;
      }
      pill.className = 'pill pill-loading';
      pill.textContent = 'Model loading…';
    } catch (error) {
      pill.className = 'pill pill-error';
      pill.textContent = error.status === 503 ? 'Model failed to load' : 'Server unreachable';
      if (error.status === 503) return;
    }
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
    button.textContent = ready ? (busy ? 'Working…' : 'Recommend') : 'Loading model…';
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
      render(answer, method);
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
          ? `No products for “${answer.request}”`
          : `${answer.items.length} products for “${answer.request}”`,
      }),
      ...answer.items.map((item, i) => productCard(answer, item, explanations[i], {
        method, maxAbs, maxContribution,
      })),
    );
  }

  function renderSummary(answer) {
    const summary = $('#summary');
    const sceneCard = el('div', { class: 'card' }, [el('h2', { text: 'Scene' })]);
    const scene = answer.scene;
    if (scene && scene.scene) {
      sceneCard.append(el('div', {}, [
        el('span', { class: 'scene-name', text: scene.scene.name }),
        el('span', { class: 'scene-prob', text: percent(scene.scene.probability) }),
      ]));
    } else if (scene) {
      sceneCard.append(el('div', {}, [
        el('span', { class: 'scene-name', text: 'None of these' }),
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
        el('b', { text: 'What would change the top pick: ' }),
        `without ${quoted(cf.removed)}, the first product would be `,
        el('b', { text: cf.new_top_title }),
        '.',
      ]));
    }
    const s = answer.stats;
    insights.append(el('div', {
      class: 'stats',
      text: `${s.candidates} candidates · ${s.model_evals} model evaluations · `
        + `retrieval ${Math.round(s.retrieval_ms)} ms · explanations ${Math.round(s.explain_ms)} ms`,
    }));
    const insightCard = el('div', { class: 'card' }, [el('h2', { text: 'About this answer' }), insights]);
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
        text: `Cheaper explanation: the server's evaluation budget did not allow ${method}; `
          + `${sample.fallback}`,
      })
      : null;
    legend.replaceChildren(
      el('div', { class: 'legend-item' }, [
        el('div', { class: 'legend-scale' }, [bar, el('div', { class: 'legend-ticks' }, ticks)]),
        el('div', {}, [
          el('div', { class: 'legend-title', text: `Word attribution: ${methodName}` }),
          el('div', { text: positiveOnly ? METHOD_TEXT[method]
            : `${(sample && sample.fallback && METHOD_TEXT[sample.method]) || METHOD_TEXT[method]}`
              + '; red raises the score, blue lowers it' }),
        ]),
      ]),
      el('div', { class: 'legend-item' }, [
        el('span', { class: 'filter' }, [el('span', { class: 'filter-text', text: 'under 100' })]),
        el('span', { text: 'filter: applied before ranking, not scored' }),
      ]),
      el('div', { class: 'legend-item' }, [
        el('mark', { class: 'match', text: 'word' }),
        el('span', { text: 'product word matching your request' }),
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
          title: `Filter ${word.constraint}: applied before ranking, not scored`,
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
        ? `value ${Number.isFinite(c.value) ? c.value.toFixed(3) : 'missing'}, TreeSHAP contribution`
        : `value ${c.value.toFixed(3)} × weight ${c.weight.toFixed(2)}`;
      return el('div', { class: 'bar-row', title: `${c.name}: ${how}` }, [
        el('span', { class: 'bar-name', text: c.name }),
        el('div', { class: 'track' }, [fill]),
        el('span', { class: 'bar-value', text: signed(c.contribution) }),
      ]);
    });
    const base = item.base ? [el('div', { class: 'bar-row', title: 'the learned ranker\'s expected score' }, [
      el('span', { class: 'bar-name', text: 'base' }),
      el('div', { class: 'track' }),
      el('span', { class: 'bar-value', text: signed(item.base) }),
    ])] : [];
    return el('div', { class: 'bars' }, [
      ...base,
      ...rows,
      el('div', { class: 'bar-total' }, [
        el('span', { text: 'Score' }),
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
      a.asked ? el('span', { class: 'review-badge', text: 'you asked' }) : null,
      ...a.evidence.slice(0, 1).map((e) => el('q', { class: 'review-quote', text: e.text })),
    ]));
    return el('div', { class: 'reviews' }, [
      el('h3', { text: `What reviewers say (${reviews.reviews} reviews)` }),
      el('ul', { class: 'review-list' }, rows),
    ]);
  }

  function productCard(answer, item, explanation, scale) {
    const p = item.product;
    const matchesIn = (field) => item.matches.filter((m) => m.field === field)
      .map((m) => m.span);
    const meta = [p.brand, p.category].filter(Boolean);
    const metaNode = el('div', { class: 'product-meta' });
    meta.forEach((m, i) => {
      if (i > 0) metaNode.append(el('span', { class: 'dot', text: '·' }));
      metaNode.append(m);
    });
    const head = el('div', { class: 'product-head' }, [
      el('div', { class: 'rank', text: String(item.rank), 'aria-label': `rank ${item.rank}` }),
      el('div', {}, [highlighted('h2', 'product-title', p.title, matchesIn('title')), metaNode]),
      el('div', { class: 'price-box' }, [
        el('div', { class: 'price', text: formatPrice(p.price) }),
        el('div', { class: 'score', text: `score ${item.score.toFixed(3)}` }),
        item.strength ? el('div', {
          class: `strength strength-${item.strength}`,
          text: `${item.strength} match`,
        }) : null,
      ]),
    ]);

    const why = el('div', {}, [
      el('div', { class: 'section' }, [
        el('h3', { text: 'Your request, word by word' }),
        requestWords(answer, explanation, scale.maxAbs),
        explanation ? null : el('div', {
          class: 'section-note',
          text: 'No word attributions: the request has only filters.',
        }),
      ]),
      p.description ? el('div', { class: 'section' }, [
        el('h3', { text: 'Product description' }),
        highlighted('p', 'product-text', p.description, matchesIn('description')),
      ]) : null,
    ]);
    const parts = el('div', {}, [
      el('div', { class: 'section' }, [
        el('h3', { text: 'Score components' }),
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
        text: 'Show attention heatmap',
      });
      button.addEventListener('click', () => {
        if (!panel) {
          panel = attentionPanel(answer.attention);
          card.append(panel);
        } else {
          panel.hidden = !panel.hidden;
        }
        const open = !panel.hidden;
        button.textContent = open ? 'Hide attention heatmap' : 'Show attention heatmap';
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
    const layerSelect = el('select', { 'aria-label': 'Layer', class: 'layer-select' },
      range(layers).map((l) => el('option', { value: l, text: `Layer ${l + 1}` })));
    layerSelect.value = String(layers - 1);
    const headSelect = el('select', { 'aria-label': 'Head', class: 'head-select' }, [
      el('option', { value: 'mean', text: 'Mean of heads' }),
      ...range(heads).map((h) => el('option', { value: h, text: `Head ${h + 1}` })),
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
      el('h3', { text: 'Attention of your request in the encoder' }),
      el('div', { class: 'attention-controls' }, [
        layerSelect,
        headSelect,
        el('span', {
          class: 'section-note',
          text: 'Rows: the token attending (query); columns: the token attended to (key). '
            + 'The same for every product: it is the request\'s own attention.',
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
      'aria-label': 'attention heatmap',
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
    const examples = $('#examples');
    for (const example of EXAMPLES) {
      examples.append(el('button', {
        type: 'button',
        class: 'chip',
        text: example,
        onclick: () => {
          $('#request').value = example;
          submit();
        },
      }));
    }
    $('#search-form').addEventListener('submit', submit);
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
