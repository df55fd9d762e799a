#!/usr/bin/env python3
"""Drives daogou's web page in headless Chromium through chromedriver's WebDriver HTTP API
(standard library only) and checks what a shopper sees. Called by scripts/e2e-browser."""

import argparse
import base64
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1440,900",
]
REQUEST = "warm waterproof jacket for hiking under 200 dollars"
HOSTILE = 'jacket <img src=x onerror="window.__pwned=1"> under 100 dollars'
# A product whose text is markup, imported through the API: the page must show it as text.
XSS_TITLE = "Zorbex Lantern <script>alert(1)</script><script>window.__xss=1</script>"
XSS_DESCRIPTION = (
    "A bright zorbex camping lantern <img src=x onerror=alert(1)>"
    ' <img src=x onerror="window.__xss=2"> <svg onload="window.__xss=3"></svg> & </p><!--'
)
XSS_REQUEST = "zorbex camping lantern"
# A review summary with markup, attached to a demo product the REQUEST finds (the page must
# show it as text): its first aspect is one the REQUEST mentions ("waterproof").
REVIEWED_ID = "out-001"
REVIEWED_TITLE = "Summit Shell Waterproof Hiking Jacket"
REVIEW_QUOTE = 'Kept me dry <img src=x onerror="window.__xss=4"> all day & night.'
REVIEW_ASPECTS = [
    ("hood", 5, 1, 'The hood <b onmouseover="window.__xss=5">fits</b> a helmet.'),
    ("waterproof", 9, 2, REVIEW_QUOTE),
]
# A Chinese request: the page follows its language, and its words are words, not characters.
CHINESE_REQUEST = "送女朋友的生日礼物 300元以内"
CHINESE_WORDS = {"送", "女朋友", "生日礼物"}
# Six descriptive words: with a budget of 10 evaluations SHAP must fall back.
BUDGET_REQUEST = "warm waterproof breathable hiking jacket with hood"


class Failure(Exception):
    """A check failed."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    def __init__(self, base):
        self.base = base
        self.session = None

    def call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.load(response).get("value")
        except urllib.error.HTTPError as e:
            raise Failure(f"WebDriver {method} {path}: {e.code} {e.read()[:500]!r}") from e

    def start(self, chromium, profile):
        value = self.call(
            "POST",
            "/session",
            {
                "capabilities": {
                    "alwaysMatch": {
                        "browserName": "chrome",
                        "goog:chromeOptions": {
                            "binary": chromium,
                            "args": CHROME_FLAGS + [f"--user-data-dir={profile}"],
                        },
                    }
                }
            },
            timeout=120,
        )
        self.session = value["sessionId"]

    def s(self, path):
        return f"/session/{self.session}{path}"

    def get(self, url):
        self.call("POST", self.s("/url"), {"url": url})

    def js(self, script, *args):
        return self.call("POST", self.s("/execute/sync"), {"script": script, "args": list(args)})

    def find(self, css):
        value = self.call("POST", self.s("/element"), {"using": "css selector", "value": css})
        return value[ELEMENT]

    def type(self, css, text):
        element = self.find(css)
        self.call("POST", self.s(f"/element/{element}/clear"), {})
        self.call("POST", self.s(f"/element/{element}/value"), {"text": text})

    def alert_text(self):
        """The text of an open alert, or None when there is none."""
        try:
            return self.call("GET", self.s("/alert/text"))
        except Failure as e:
            if "no such alert" in str(e):
                return None
            raise

    def click(self, css):
        self.call("POST", self.s(f"/element/{self.find(css)}/click"), {})

    def wait(self, script, what, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.js(script)
            if value:
                return value
            time.sleep(0.25)
        raise Failure(f"timed out after {timeout} s waiting for {what}")

    def screenshot(self, path, width=1440):
        """The whole page at `width` CSS pixels (through the DevTools protocol, which can
        capture beyond the viewport; the visible viewport when that is not available)."""
        self.js("window.scrollTo(0, 0);")
        height = self.js(
            "return Math.ceil(Math.min(document.documentElement.scrollHeight, 12000));"
        )
        self.call("POST", self.s("/window/rect"), {"width": width, "height": 900})
        time.sleep(0.3)
        try:
            shot = self.call(
                "POST",
                self.s("/goog/cdp/execute"),
                {
                    "cmd": "Page.captureScreenshot",
                    "params": {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                    },
                },
            )["data"]
        except Failure:
            shot = self.call("GET", self.s("/screenshot"))
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot))

    def quit(self):
        if self.session:
            try:
                self.call("DELETE", self.s(""), timeout=20)
            except Exception:  # the browser may already be gone
                pass


def submit(driver, text, timeout):
    """Types a request, submits it and waits for the answer (or an error)."""
    driver.js("document.querySelector('#results').replaceChildren();")
    driver.type("#request", text)
    driver.click("#submit")
    driver.wait(
        "return document.querySelectorAll('article.product').length > 0"
        " || !document.querySelector('#error').hidden;",
        "the recommendations",
        timeout,
    )
    error = driver.js(
        "const e = document.querySelector('#error'); return e.hidden ? null : e.textContent;"
    )
    if error:
        raise Failure(f"the page shows an error: {error}")


def import_product(url, key_file):
    """Imports the hostile product through the API with the server's key."""
    with open(key_file) as f:
        key = f.read().strip()
    product = {"id": "xss-1", "title": XSS_TITLE, "description": XSS_DESCRIPTION, "price": 19}
    request = urllib.request.Request(
        url + "api/catalog/import",
        data=(json.dumps(product) + "\n").encode(),
        method="POST",
        headers={"Content-Type": "application/x-ndjson", "X-Api-Key": key},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            report = json.load(response)
    except urllib.error.HTTPError as e:
        raise Failure(f"importing the hostile product: {e.code} {e.read()[:500]!r}") from e
    if report.get("imported") != 1:
        raise Failure(f"the hostile product was not imported: {report}")


def attach_reviews(db):
    """Stores a review summary for REVIEWED_ID as `daogou reviews --attach` would (the next
    catalog import reloads the guide, summaries included)."""
    aspects = [
        {
            "aspect": aspect,
            "reviews": positive + negative,
            "positive": positive,
            "negative": negative,
            "summary": f"{aspect}: positive in {positive} of {positive + negative} reviews",
            "evidence": [
                {
                    "text": text,
                    "polarity": "positive",
                    "confidence": 0.9,
                    "support": 0.1,
                    "words": [],
                }
            ],
        }
        for aspect, positive, negative, text in REVIEW_ASPECTS
    ]
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT OR REPLACE INTO review_summaries (product_id, model_id, reviews, aspects_json)"
            " VALUES (?, 'e2e', 12, ?)",
            (REVIEWED_ID, json.dumps(aspects)),
        )
    conn.close()


def check_reviews_are_text(driver):
    """The reviewed product's card lists its aspects, the asked one first, as text."""
    shown = driver.js(
        """
        const card = [...document.querySelectorAll('article.product')]
          .find(c => c.querySelector('.product-title').textContent === arguments[0]);
        if (!card) return null;
        return {
          xss: window.__xss === undefined ? null : window.__xss,
          aspects: [...card.querySelectorAll('.review-aspect')].map(a => ({
            summary: a.querySelector('.review-summary').textContent,
            asked: a.classList.contains('review-asked'),
            quote: a.querySelector('.review-quote')?.textContent || '',
          })),
          sentence: card.querySelector('.narrative').textContent,
          injected: card.querySelectorAll('img, b, [onerror], [onmouseover]').length,
        };
        """,
        REVIEWED_TITLE,
    )
    check(shown is not None, f"{REVIEWED_TITLE} is recommended")
    print(f"  reviews: {json.dumps(shown, ensure_ascii=False)}")
    asked = [a for a in shown["aspects"] if a["asked"]]
    check(
        len(shown["aspects"]) == 2 and shown["aspects"][0]["asked"] and len(asked) == 1,
        "the review aspects are shown, the asked-for one first",
    )
    check(shown["aspects"][0]["quote"] == REVIEW_QUOTE, "the review sentence is shown literally")
    check(REVIEW_QUOTE in shown["sentence"], "the explanation quotes the asked-for aspect")
    check(shown["xss"] is None and shown["injected"] == 0, "no element came from review text")


def check_markup_is_text(driver, timeout):
    """The imported product's markup is shown literally and never runs."""
    submit(driver, XSS_REQUEST, timeout)
    alert = driver.alert_text()
    check(alert is None, f"no alert opened (got {alert!r})")
    shown = driver.js(
        """
        const card = document.querySelector('article.product');
        return {
          xss: window.__xss === undefined ? null : window.__xss,
          title: card.querySelector('.product-title').textContent,
          description: card.querySelector('.product-text')?.textContent || '',
          injected: document.querySelectorAll(
            'main img, main script, main iframe, main [onerror], main [onload]').length,
        };
        """
    )
    check(shown["xss"] is None, "no script from the product text ran (window flag unset)")
    check(shown["injected"] == 0, "no element was created from the product text")
    check(shown["title"] == XSS_TITLE, "the title is shown literally, tags included")
    check(shown["description"] == XSS_DESCRIPTION, "the description is shown literally")


def check_budget_fallback(driver, budget_url, timeout):
    """On a server with a tiny explanation budget the page says SHAP fell back."""
    driver.get(budget_url)
    driver.wait(
        "return !document.querySelector('#submit').disabled;",
        "the budget server to load",
        timeout,
    )
    driver.click("label[for=m-shap]")
    submit(driver, BUDGET_REQUEST, timeout)
    note = driver.js(
        "const n = document.querySelector('#legend .fallback-note');"
        " return n && !n.hidden ? n.textContent : null;"
    )
    check(note is not None and "fell back" in note, f"the fallback is shown: {note!r}")
    coloured = driver.js(
        "return [...document.querySelectorAll('article.product')[0].querySelectorAll('.word')]"
        ".filter(w => w.title.includes('occlusion')).length;"
    )
    check(coloured >= 3, "the words are coloured by the method it fell back to")


def check_chinese(driver, timeout):
    """A Chinese request turns the page Chinese; its words, filter and sentence are
    Chinese words; the switch turns the page back to English."""
    # Choosing SHAP re-asks the shown request: let that answer come first.
    driver.click("label[for=m-shap]")
    time.sleep(0.5)
    driver.wait(
        "return document.querySelector('#busy').hidden"
        " && !document.querySelector('#submit').disabled;",
        "the SHAP answer to the previous request",
        timeout,
    )
    submit(driver, CHINESE_REQUEST, timeout)
    driver.wait(
        "return document.documentElement.lang === 'zh-CN';", "the page to turn Chinese", 20
    )
    facts = driver.js(
        """
        const first = document.querySelector('article.product');
        return {
          words: [...first.querySelectorAll('.word')].map(w => ({
            text: w.querySelector('.word-text').textContent,
            coloured: Boolean(w.style.background && w.title),
          })),
          filters: [...first.querySelectorAll('.filter .filter-label')].map(f => f.textContent),
          marks: [...document.querySelectorAll('article.product mark.match')]
            .map(m => m.textContent),
          sentence: first.querySelector('.narrative').textContent,
          title: document.querySelector('.results-title').textContent,
          ask: document.querySelector('label[for=request]').textContent,
          scene: document.querySelector('.scene-name')?.textContent || '',
          price: first.querySelector('.price').textContent,
        };
        """
    )
    print(f"  chinese: {json.dumps(facts, ensure_ascii=False)}")
    words = {w["text"] for w in facts["words"]}
    coloured = {w["text"] for w in facts["words"] if w["coloured"]}
    check(words == CHINESE_WORDS | {"的"}, f"the request is shown as words: {sorted(words)}")
    check(coloured == CHINESE_WORDS, "every Chinese word but 的 is coloured by its attribution")
    check(any("¥300" in f and "以内" in f for f in facts["filters"]), "the budget is a Chinese filter")
    check(facts["sentence"].startswith("推荐理由："), "the explanation sentence is Chinese")
    quoted = [part.split("”")[0] for part in facts["sentence"].split("“")[1:]]
    check(
        all(len(q) > 1 or q in CHINESE_WORDS for q in quoted),
        f"the sentence quotes words, never stray characters: {quoted}",
    )
    check(len(facts["marks"]) >= 1, "matched words are highlighted in the product text")
    check(facts["ask"] == "您想买什么？" and "找到" in facts["title"], "the page strings are Chinese")
    check(facts["price"].startswith("¥") and ".00" not in facts["price"], "yuan are shown the Chinese way")
    check(any("\u4e00" <= c <= "\u9fff" for c in facts["scene"]), "the scene is named in Chinese")

    driver.click("#language")
    driver.wait("return document.documentElement.lang === 'en';", "the switch to English", 20)
    english = driver.js(
        "return { ask: document.querySelector('label[for=request]').textContent,"
        " title: document.querySelector('.results-title').textContent,"
        " button: document.querySelector('#language').textContent };"
    )
    check(
        english["ask"] == "What are you looking for?"
        and "products for" in english["title"]
        and english["button"] == "中文",
        f"the switch turns the page English: {english}",
    )


def check(condition, message):
    if not condition:
        raise Failure(message)
    print(f"  ok: {message}")


def run(driver, args):
    url, timeout, screenshot = args.url, args.timeout, args.screenshot
    driver.get(url)
    driver.wait(
        "return !document.querySelector('#submit').disabled;",
        "the model to load (submit button enabled)",
        timeout,
    )
    print("  ok: page loaded and the model is ready")

    # XSS: the request comes back in the answer and must be shown as text.
    submit(driver, HOSTILE, timeout)
    injected = driver.js(
        "return { pwned: window.__pwned === 1,"
        " imgs: document.querySelectorAll('main img').length,"
        " shown: document.querySelector('.results-title').textContent };"
    )
    check(
        not injected["pwned"] and injected["imgs"] == 0 and "<img" in injected["shown"],
        "markup in a request is shown as text, never executed",
    )

    attach_reviews(args.data_db)
    import_product(url, args.api_key_file)
    check_markup_is_text(driver, timeout)

    submit(driver, REQUEST, timeout)
    facts = driver.js(
        """
        const cards = [...document.querySelectorAll('article.product')];
        const first = cards[0];
        const coloured = [...first.querySelectorAll('.word')]
          .filter(w => w.style.background && w.title);
        return {
          cards: cards.length,
          coloured: coloured.map(w => w.querySelector('.word-text').textContent),
          filters: [...first.querySelectorAll('.filter .filter-label')].map(f => f.textContent),
          marks: [...first.querySelectorAll('mark.match')].map(m => m.textContent),
          sentence: first.querySelector('.narrative').textContent,
          bars: first.querySelectorAll('.bar-row').length,
          scene: document.querySelector('.scene-name')?.textContent || '',
          legend: !document.querySelector('#legend').hidden,
        };
        """
    )
    print(f"  facts: {json.dumps(facts, ensure_ascii=False)}")
    check(facts["cards"] >= 1, f"{facts['cards']} product cards shown")
    check(len(facts["coloured"]) >= 3, "request words are highlighted by attribution")
    check(any("200" in f for f in facts["filters"]), "the price words are shown as a filter")
    check(len(facts["marks"]) >= 1, "matched words are highlighted in the product text")
    check(facts["sentence"].startswith("Recommended"), "the explanation sentence is shown")
    check(facts["bars"] >= 2, "the score components are drawn as bars")
    check(facts["scene"] != "", "the scene is shown")
    check(facts["legend"], "the colour legend is shown")
    check_reviews_are_text(driver)

    driver.click("article.product .attention-toggle")
    cells = driver.wait(
        "return document.querySelectorAll('article.product .heatmap rect').length;",
        "the attention heatmap",
        10,
    )
    check(cells > 4, f"the attention heatmap is drawn ({cells} cells)")
    changed = driver.js(
        """
        const select = document.querySelector('article.product .head-select');
        const before = [...document.querySelectorAll('article.product .heatmap rect')]
          .map(r => r.getAttribute('fill')).join();
        select.value = '3';
        select.dispatchEvent(new Event('change'));
        const after = [...document.querySelectorAll('article.product .heatmap rect')]
          .map(r => r.getAttribute('fill')).join();
        return before !== after;
        """
    )
    check(changed, "choosing another head redraws the heatmap")

    driver.screenshot(screenshot)
    print(f"  ok: screenshot written to {screenshot}")

    # Another method: LIME colours the words too.
    driver.click("label[for=m-lime]")
    driver.wait(
        "return (document.querySelector('.legend-title')?.textContent || '').includes('lime')"
        " && document.querySelectorAll('article.product').length > 0;",
        "the LIME answer",
        timeout,
    )
    lime = driver.js(
        "return [...document.querySelectorAll('article.product')[0].querySelectorAll('.word')]"
        ".filter(w => w.title.includes('lime')).length;"
    )
    check(lime >= 3, "switching to LIME re-explains the words")

    check_chinese(driver, timeout)
    check_budget_fallback(driver, args.budget_url, timeout)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--budget-url", required=True, help="a server run with --max-evals 10")
    parser.add_argument("--api-key-file", required=True, help="the key of the --url server")
    parser.add_argument("--data-db", required=True, help="the --url server's catalog database")
    parser.add_argument("--profile", required=True, help="a new, empty Chromium profile dir")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="chromedriver")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()

    port = free_port()
    log = open(os.path.join(args.profile + ".chromedriver.log"), "w")
    driver_process = subprocess.Popen(
        [args.chromedriver, f"--port={port}"], stdout=log, stderr=subprocess.STDOUT
    )
    driver = WebDriver(f"http://127.0.0.1:{port}")
    try:
        deadline = time.time() + 30
        while True:
            try:
                if driver.call("GET", "/status", timeout=5).get("ready"):
                    break
            except (OSError, Failure):
                pass
            if time.time() > deadline:
                raise Failure("chromedriver did not start")
            time.sleep(0.2)
        driver.start(args.chromium, args.profile)
        run(driver, args)
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        try:
            driver.screenshot(args.screenshot.replace(".png", "-failure.png"))
        except Exception:
            pass
        return 1
    finally:
        driver.quit()
        driver_process.terminate()
        try:
            driver_process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            driver_process.kill()
        log.close()
    print("e2e browser test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
