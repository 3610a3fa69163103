"""Reading a OneRoster 1.1/1.2 REST provider: OAuth 2.0 client credentials (Authlib's
client over requests), the specification's paging, and the failures real servers have.

* Paging: `limit`/`offset`; the next page is the `Link: <...>; rel="next"` header when the
  provider sends one, else the next offset. `X-Total-Count`, when sent, must be reached: a
  feed that ends short of it (a page cut short) is an error, never a smaller roster.
* A delta asks for `filter=dateLastModified>'...'`.
* Failures: a 401 fetches a new token once (it may have expired early), a 429 waits for its
  Retry-After (up to `max_wait` seconds), a 5xx or a dropped connection is tried again with a
  growing pause; after `retries` attempts, or on any other answer, `FeedError` says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

USER_AGENT = "Caseflow roster sync"


class FeedError(Exception):
    """The feed could not be read completely; the message says why, for the run's record."""


class TruncatedFeed(FeedError):
    """The feed ended short of what it announced: a reason for the safety stop."""


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class OneRosterClient:
    """A session with one provider. `sleep` is injectable so tests do not wait."""

    def __init__(
        self,
        base_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        page_size: int = 1000,
        retries: int = 4,
        max_wait: float = 120.0,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.token_url = token_url
        self.page_size = page_size
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.requests = 0
        self.timeout = timeout
        self.http = OAuth2Session(
            client_id, client_secret, token_endpoint=token_url, grant_type="client_credentials"
        )
        self.http.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> OneRosterClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # Tokens and single requests ---------------------------------------------------------
    def _token(self) -> None:
        try:
            self.http.fetch_token(self.token_url, grant_type="client_credentials", timeout=self.timeout)
        except OAuthError as exc:
            raise FeedError(f"the token endpoint refused the client credentials: {exc.error}") from None
        except requests.RequestException as exc:
            raise FeedError(f"the token endpoint could not be reached: {exc}") from None
        except ValueError as exc:  # not JSON
            raise FeedError(f"the token endpoint did not answer with a token: {exc}") from None

    def get(
        self, url: str, params: dict | None = None, *, missing_ok: bool = False
    ) -> requests.Response | None:
        """GET with the token, retrying what a provider asks to retry (see the module)."""
        if not self.http.token:
            self._token()
        renewed = False
        pause = 1.0
        for attempt in range(1, self.retries + 1):
            self.requests += 1
            try:
                response = self.http.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                if attempt == self.retries:
                    raise FeedError(f"{url}: the connection failed {attempt} times ({exc})") from None
                self.sleep(pause)
                pause *= 2
                continue
            if response.status_code == 200:
                return response
            if response.status_code == 404 and missing_ok:
                return None
            if response.status_code == 401 and not renewed:
                renewed = True
                self._token()
                continue
            if response.status_code == 429:
                wait = _retry_after(response.headers.get("Retry-After"))
                if wait is None:
                    wait = pause
                if wait > self.max_wait or attempt == self.retries:
                    raise FeedError(
                        f"{url}: the provider is limiting requests (429, Retry-After "
                        f"{response.headers.get('Retry-After', 'not given')}) and did not recover"
                    )
                self.sleep(wait)
                pause *= 2
                continue
            if response.status_code >= 500 and attempt < self.retries:
                self.sleep(pause)
                pause *= 2
                continue
            raise FeedError(f"{url}: the provider answered {response.status_code} {response.reason}")
        raise FeedError(f"{url}: no answer after {self.retries} attempts")

    # Collections ------------------------------------------------------------------------
    def collection(
        self, endpoint: str, key: str, *, since: datetime | None = None, each: Callable | None = None
    ) -> list:
        """Every record of a collection (`/users`, key "users"), page after page; a delta when
        `since` is given. `each(number, record)`, when given, turns each record into what is
        kept, page by page (a large feed is never held twice). Raises FeedError when the feed
        ends short of its X-Total-Count."""
        url = first = f"{self.base_url}/{endpoint.lstrip('/')}"
        params: dict | None = {"limit": self.page_size, "offset": 0}
        delta = (
            f"dateLastModified>'{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'" if since else None
        )
        if delta:
            params["filter"] = delta
        records: list[dict] = []
        total: int | None = None
        offset = 0
        for _page in range(100_000):
            response = self.get(url, params)
            page = self._records(response, key, endpoint)
            header = response.headers.get("X-Total-Count")
            if header is not None:
                try:
                    total = int(header)
                except ValueError:
                    raise FeedError(f"{endpoint}: X-Total-Count {header!r} is not a number") from None
            if each is not None:
                page = [each(len(records) + n, r) for n, r in enumerate(page, start=1)]
            records.extend(page)
            offset += len(page)
            following = response.links.get("next", {}).get("url")
            if following:
                url, params = urljoin(response.url, following), None
                continue
            # Without a total, a short page is the last; with one, a provider that pages by
            # fewer than asked is read on until the total or an empty page.
            if not page or (len(records) >= total if total is not None else len(page) < self.page_size):
                break
            url, params = first, {"limit": self.page_size, "offset": offset}
            if since is not None:
                params["filter"] = delta
        else:
            raise FeedError(f"{endpoint}: more than 100,000 pages; the provider's paging loops")
        if total is not None and len(records) < total:
            raise TruncatedFeed(
                f"{endpoint}: the feed was cut short ({len(records)} of the {total} records "
                "its X-Total-Count announced)"
            )
        return records

    @staticmethod
    def _records(response: requests.Response, key: str, endpoint: str) -> list[dict]:
        try:
            body = response.json()
        except ValueError:
            raise FeedError(f"{endpoint}: the answer is not JSON") from None
        page = body.get(key) if isinstance(body, dict) else None
        if not isinstance(page, list) or not all(isinstance(r, dict) for r in page):
            raise FeedError(f"{endpoint}: the answer has no list of {key!r}")
        return page

    def one(self, endpoint: str, key: str, source_id: str) -> dict | None:
        """One record by its sourcedId (`/users/{id}`, key "user"); None if the provider has none."""
        url = f"{self.base_url}/{endpoint.strip('/')}/{source_id}"
        response = self.get(url, missing_ok=True)
        if response is None:
            return None
        try:
            body = response.json()
        except ValueError:
            raise FeedError(f"{endpoint}/{source_id}: the answer is not JSON") from None
        record = body.get(key) if isinstance(body, dict) else None
        return record if isinstance(record, dict) else None
