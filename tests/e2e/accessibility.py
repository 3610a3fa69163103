"""axe-core on every page the browser tests visit.

The product's accessibility standard: every page passes axe-core (WCAG 2.0 and 2.1, levels A
and AA, and axe's best practices) with no violation. `AxeAudit.watch(context)` makes a browser
context check each document it shows:

- axe-core (npm's `axe-core`, pinned in tests/e2e/axe/package-lock.json, installed by
  `python3 dev.py test`) and a small runner are added as init scripts. Init scripts run in the
  page's main world outside its Content-Security-Policy, so the app's strict CSP stays on
  (the API explorer test checks that it holds).
- Each HTML document scans itself once it has loaded and hands the result to the test through
  a binding (so the test's own steps are never held up). Pages still open (or being closed)
  at the end of the test are collected then, and `check(page)` scans the current state again
  on demand (a folded-out section, a list filled by script). A document left before its scan
  ends (a click right after the load) goes unchecked that time.

The test fails at teardown listing, per page, each rule broken with its impact and the CSS
selectors of the elements concerned.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Error, Frame, Page

AXE_SCRIPT = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0 and 2.1, levels A and AA (the rules axe-core files under these tags), and axe's
# best practices (one main landmark, a level-one heading, headings in order, and the like).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

# Runs in every document after axe.min.js. Only the top document scans (axe reaches into
# frames itself); one scan per document unless `fresh` asks for another.
RUNNER = """
(() => {
  if (window.top !== window || typeof window.axe === "undefined") return;
  const options = { runOnly: { type: "tag", values: AXE_TAGS }, resultTypes: ["violations"] };
  let last = null;
  const scan = () => axe.run(document, options).then((results) => ({
    url: location.href,
    violations: results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    })),
  }));
  const run = (fresh) => {
    if (document.contentType !== "text/html") return Promise.resolve(null);
    if (!last) last = scan();
    else if (fresh) last = last.catch(() => null).then(scan);
    return last;
  };
  Object.defineProperty(window, "__caseflowAxe", { value: run });
  window.addEventListener("load", () => {
    run(false).then((result) => result && window.__caseflowAxeResult(result), () => null);
  }, { once: true });
})();
""".replace("AXE_TAGS", json.dumps(AXE_TAGS))

COLLECT = "(fresh) => (window.__caseflowAxe ? window.__caseflowAxe(fresh) : null)"


def axe_available(in_ci: bool) -> None:
    """Skip (on a laptop) or fail (in CI) when axe-core's npm package is not installed."""
    if AXE_SCRIPT.is_file():
        return
    reason = f"{AXE_SCRIPT} is missing (python3 dev.py test installs it with npm ci)"
    if in_ci:
        pytest.fail(f"axe-core cannot run in CI: {reason}")
    pytest.skip(f"axe-core cannot run: {reason}")


@dataclass
class AxeAudit:
    """The violations axe-core found in the app's documents (at `origin`) in the contexts it
    watches. Pages of other origins (the test OpenID Provider) are not Caseflow's and not judged."""

    origin: str

    # (path and query, rule id) -> (impact, help, target selectors)
    found: dict[tuple[str, str], tuple[str, str, set[str]]] = field(default_factory=dict)
    pages_scanned: set[str] = field(default_factory=set)

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.add_init_script(path=str(AXE_SCRIPT))
        context.add_init_script(script=RUNNER)
        context.expose_binding("__caseflowAxeResult", lambda _source, result: self._add(result))
        context.on("page", self._watch_page)
        original_close = context.close

        def close(*args, **kwargs):
            self.collect_all(context)
            original_close(*args, **kwargs)

        context.close = close
        return context

    def check(self, page: Page) -> None:
        """Scan the page as it is now (after script changed it), beside its scan at load."""
        self._collect(page.main_frame, fresh=True)

    def collect_all(self, context: BrowserContext) -> None:
        for page in context.pages:
            self._collect(page.main_frame, fresh=False)

    def report(self) -> str:
        lines = []
        for (page, rule), (impact, help_text, targets) in sorted(self.found.items()):
            lines.append(f"{page}  {rule} ({impact}): {help_text}")
            lines.extend(f"    {target}" for target in sorted(targets))
        return "\n".join(lines)

    def _watch_page(self, page: Page) -> None:
        original_close = page.close

        def close(*args, **kwargs):
            self._collect(page.main_frame, fresh=False)
            original_close(*args, **kwargs)

        page.close = close

    def _collect(self, frame: Frame, *, fresh: bool) -> None:
        try:
            result = frame.evaluate(COLLECT, fresh)
        except Error:
            return  # the document is gone already; its scan at load was reported, if it ended
        self._add(result)

    def _add(self, result: dict | None) -> None:
        if not result:
            return
        parts = urlsplit(result["url"])
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return
        where = parts.path + (f"?{parts.query}" if parts.query else "")
        self.pages_scanned.add(where)
        for violation in result["violations"]:
            key = (where, violation["id"])
            entry = self.found.setdefault(key, (violation["impact"], violation["help"], set()))
            entry[2].update(violation["targets"])


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
