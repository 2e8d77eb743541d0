async () => {
  // Measures the page as rendered: text contrast against its effective background (WCAG 2),
  // font stacks, tap targets, images, horizontal overflow. Used by tests/browser_support.py.
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c || '');
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (!a) return [0, 0, 0, 0];
    return [0, 1, 2].map((i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a).concat([a]);
  };
  const darkCanvas = matchMedia('(prefers-color-scheme: dark)').matches &&
    /dark/.test(getComputedStyle(document.documentElement).colorScheme + getComputedStyle(document.body).colorScheme);
  const canvas = darkCanvas ? [18, 18, 18, 1] : [255, 255, 255, 1];
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let out = canvas;
    for (let i = layers.length - 1; i >= 0; i--) out = over(layers[i], out);
    return out;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const rgb = (c) => `rgb(${c.slice(0, 3).map(Math.round).join(',')})`;
  const visible = (el) => el.checkVisibility({ opacityProperty: true, visibilityProperty: true }) && !el.closest('[aria-hidden="true"]');

  // every image loaded: lazy ones are scrolled into view first
  for (const img of document.images) {
    if (!img.complete) { img.scrollIntoView(); await img.decode().catch(() => {}); }
  }
  window.scrollTo(0, 0);

  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.data.trim() || !el || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TITLE'].includes(el.tagName) || !visible(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (![...range.getClientRects()].some((r) => r.width > 0 && r.height > 0)) continue;
    const cs = getComputedStyle(el);
    const bg = background(el);
    const fg = over(parse(cs.color), bg);
    const stack = cs.fontFamily.split(',').map((s) => s.trim().replace(/^["']|["']$/g, '').toLowerCase());
    const generic = stack.find((s) => ['serif', 'sans-serif', 'system-ui', 'monospace', 'ui-sans-serif'].includes(s));
    texts.push({ text: node.data.trim().slice(0, 40), tag: el.tagName, ratio: Math.round(ratio(fg, bg) * 100) / 100,
                 color: rgb(fg), bg: rgb(bg), font: cs.fontFamily, serif_fallback: !generic || generic === 'serif' });
  }

  const taps = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, audio[controls]')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const block = el.parentElement.closest('p, li, td, div, h1, h2, h3, dd, span');
    const own = (el.textContent || '').trim().length;
    const around = block ? (block.textContent || '').replace(/\s+/g, '').length - own : 0;
    // WCAG 2.5.8 exempts links inside a sentence; a link alone on its line, or one that is a button, is not
    const inline = getComputedStyle(el).display === 'inline' && around > 20 && !el.closest('nav, footer, .tap');
    taps.push({ text: (el.textContent || el.tagName).trim().slice(0, 40), h: Math.round(r.height * 10) / 10,
                w: Math.round(r.width * 10) / 10, inline });
  }

  const images = [...document.images].map((img) => {
    const r = img.getBoundingClientRect();
    return { src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0 && r.width > 0 && r.height > 0 && visible(img),
             w: Math.round(r.width), h: Math.round(r.height), alt: img.alt, nw: img.naturalWidth, nh: img.naturalHeight,
             content: img.classList.contains('im'),
             sized: img.hasAttribute('width') && img.hasAttribute('height') };
  });

  // list items and their markers: a bullet of the list, a ::before, a list nested first thing, a typed bullet
  const norm = (t) => (t || '').replace(/[\s\p{P}\p{S}]/gu, '').toLowerCase();
  const items = [];
  for (const li of document.querySelectorAll('li')) {
    if (!visible(li)) continue;
    const cs = getComputedStyle(li);
    let markers = cs.display === 'list-item' && cs.listStyleType !== 'none' ? 1 : 0;
    const before = getComputedStyle(li, '::before').content;
    if (before && !['none', 'normal', '""'].includes(before)) markers += 1;
    const first = [...li.childNodes].find((n) => n.nodeType === 1 || (n.nodeType === 3 && n.data.trim()));
    if (first && first.nodeType === 1 && ['UL', 'OL'].includes(first.tagName)) markers += 1;
    if (/^[•◦▪‣·*]\s/.test((li.innerText || '').trim())) markers += 1;
    const r = li.getBoundingClientRect();
    items.push({ text: (li.innerText || '').trim().slice(0, 40), markers, x: Math.round(r.left) });
  }

  // a heading (or bold lead-in) whose words the text right under it repeats
  const repeated = [];
  for (const h of document.querySelectorAll('h1, h2, h3, h4, .lead-in')) {
    if (!visible(h)) continue;
    const t = norm(h.textContent);
    if (t.length < 6) continue;
    let next = h.classList.contains('lead-in') ? h.nextSibling : h.nextElementSibling;
    while (next && !(next.textContent || '').trim()) next = next.nextSibling;
    if (next && norm(next.textContent).slice(0, 160).includes(t)) repeated.push(h.textContent.trim().slice(0, 60));
  }

  const top = (sel) => { const el = document.querySelector(sel); return el && visible(el) ? Math.round(el.getBoundingClientRect().top + scrollY) : null; };
  const chapters = document.querySelector('.chapters, nav[aria-label="章节"], nav[aria-label="Chapters"]');
  const inputs = [...document.querySelectorAll('input:not([type=hidden]), button')].filter(visible).map((el) => {
    const r = el.getBoundingClientRect();
    return { tag: el.tagName, type: el.type, w: Math.round(r.width), h: Math.round(r.height) };
  });
  const card = document.querySelector('main, .card');
  const cardBox = card ? card.getBoundingClientRect() : null;

  // an item's listen link: its size, its colour, on how many lines it is drawn
  const listen = [...document.querySelectorAll('a.ls')].filter(visible).map((a) => {
    const cs = getComputedStyle(a);
    const lines = new Set([...a.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
    const row = a.closest('.acts');
    return { text: a.textContent.trim(), size: parseFloat(cs.fontSize), color: cs.color, lines,
             row_color: row ? getComputedStyle(row).color : null };
  });
  // links that are a title or a row (headings, cards, the archive, chapters): never underlined
  const underlined = [...document.querySelectorAll('h1 a, h2 a, h3 a, h4 a, .ep-card a, .year a, .chapters a, nav a')]
    .filter((a) => visible(a) && getComputedStyle(a).textDecorationLine.includes('underline'))
    .map((a) => a.textContent.trim().slice(0, 40));
  // every line of a brief starts where its first line does (its link row included)
  const ragged = [];
  for (const li of document.querySelectorAll('ul.briefs > li, ul.lst > li')) {
    if (!visible(li)) continue;
    const range = document.createRange();
    range.selectNodeContents(li);
    const rects = [...range.getClientRects()].filter((r) => r.width && r.height)
      .map((r) => ({ mid: (r.top + r.bottom) / 2, left: r.left })).sort((a, b) => a.mid - b.mid);
    const lefts = [];  // the left edge of each line: rects whose middles are within 6 px are one line
    let mid = -Infinity;
    for (const r of rects) {
      if (r.mid > mid + 6) { lefts.push(r.left); mid = r.mid; } else lefts[lefts.length - 1] = Math.min(lefts[lefts.length - 1], r.left);
    }
    if (lefts.length > 1 && Math.max(...lefts) - Math.min(...lefts) > 2) ragged.push((li.innerText || '').trim().slice(0, 40));
  }
  const box = (sel) => {
    const el = document.querySelector(sel);
    if (!el || !visible(el)) return null;
    const r = el.getBoundingClientRect();
    return { x: Math.round(r.left), y: Math.round(r.top + scrollY), w: Math.round(r.width), h: Math.round(r.height) };
  };
  const stories = [...document.querySelectorAll('[id^="item-"]')].filter(visible);
  const lastStory = stories.length ? stories[stories.length - 1].getBoundingClientRect() : null;

  return { texts, taps, images, items, repeated, inputs, listen, underlined, ragged,
           audio_players: document.querySelectorAll('audio').length,
           cover_box: box('.ep-cover'), title_box: box('h1'), player_box: box('.player, audio#player'),
           downloads_top: top('.downloads'),
           last_item_bottom: lastStory ? Math.round(lastStory.bottom + scrollY) : null,
           scroll_width: document.documentElement.scrollWidth,
           first_item_top: top('[id^="item-"]'),
           chapters_top: chapters && visible(chapters) ? Math.round(chapters.getBoundingClientRect().top + scrollY) : null,
           chapters_height: chapters && visible(chapters) ? Math.round(chapters.getBoundingClientRect().height) : 0,
           card: cardBox ? { x: Math.round(cardBox.left), w: Math.round(cardBox.width), right: Math.round(innerWidth - cardBox.right) } : null,
           page_height: document.documentElement.scrollHeight,
           overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
           color_scheme: document.querySelector('meta[name="color-scheme"]')?.content || getComputedStyle(document.documentElement).colorScheme };
}
