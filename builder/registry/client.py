"""``RegistryClient``: requests to one registry, authenticated as the registry asks.

A request goes out with the ``Authorization`` already earned for its scope, if any.  A
``401`` carries a challenge: ``Basic`` is answered with the host's credentials;
``Bearer`` sends the client to the challenge's realm (on any host) for a token, with the
credentials as Basic auth when there are some, anonymously otherwise; the token is kept
per scope and fetched again when the registry refuses it.  Redirects are followed (a
blob served from another host, as S3-backed registries do, or directly with ``200``);
httpx drops the ``Authorization`` header on a redirect to another origin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from builder.registry import ollama_key
from builder.registry.challenge import Challenge, parse_challenge
from builder.registry.credentials import Credentials, find_credentials
from builder.registry.errors import RegistryError

USER_AGENT = "mfc (registry client)"
TIMEOUT = httpx.Timeout(30.0, read=300.0)

Body = Callable[[], Any]  # makes the request body again when a request is retried


class RegistryClient:
    """Requests to ``host`` (``credentials``: ``None`` looks them up when first needed)."""

    def __init__(
        self, host: str, *, credentials: Credentials | None = None, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.host = host
        self._credentials = credentials
        self._looked_up = credentials is not None
        self._auth: dict[str, str] = {}  # scope -> Authorization value
        self.http = httpx.Client(
            follow_redirects=True, timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, transport=transport
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def credentials(self) -> Credentials | None:
        if not self._looked_up:
            self._credentials = find_credentials(self.host)
            self._looked_up = True
        return self._credentials

    def request(
        self,
        method: str,
        url: str,
        *,
        scope: str,
        headers: dict[str, str] | None = None,
        body: Body | None = None,
        what: str = "",
    ) -> httpx.Response:
        """Send a request (the whole answer read), answering one authentication challenge."""
        with self.stream(method, url, scope=scope, headers=headers, body=body, what=what) as response:
            response.read()
            return response

    @contextmanager
    def stream(
        self,
        method: str,
        url: str,
        *,
        scope: str,
        headers: dict[str, str] | None = None,
        body: Body | None = None,
        what: str = "",
    ) -> Iterator[httpx.Response]:
        """As ``request``, the answer's body left to read (``iter_bytes``)."""
        for attempt in range(2):
            sent = dict(headers or {})
            if scope in self._auth:
                sent["Authorization"] = self._auth[scope]
            content = body() if body is not None else None
            try:
                request = self.http.build_request(method, url, headers=sent, content=content)
                response = self.http.send(request, stream=True)
            except httpx.HTTPError as error:
                raise RegistryError(f"{what or url}: cannot reach {self.host}: {_reason(error)}") from None
            if response.status_code != 401 or attempt:
                break
            header = response.headers.get("www-authenticate", "")
            response.close()
            if not header:
                break
            self._authorize(parse_challenge(header), scope, what or url)
        if response.status_code == 401:
            response.read()
            response.close()
            raise self._refused(what or url, scope, response)
        try:
            yield response
        finally:
            response.close()

    def _refused(self, what: str, scope: str, response: httpx.Response) -> RegistryError:
        """A 401 after authenticating: who was refused, and what to do."""
        error = RegistryError.from_response(what, self.host, 401, response.content)
        who = f"the credentials of {self.credentials.username}" if self.credentials else "anonymous access"
        advice = f"check them with mfc login {self.host}" if self.credentials else f"log in: mfc login {self.host}"
        return RegistryError(f"{error}: {who} refused for {scope}; {advice}", status=401)

    def _authorize(self, challenge: Challenge, scope: str, what: str) -> None:
        if challenge.scheme == "basic":
            if self.credentials is None:
                raise RegistryError(f"{what}: {self.host} requires a login (mfc login {self.host})", status=401)
            self._auth[scope] = self.credentials.basic()
        elif challenge.scheme == "bearer":
            self._auth[scope] = "Bearer " + self._token(challenge, scope, what)
        else:
            raise RegistryError(f"{what}: {self.host} asks for {challenge.scheme} authentication, which mfc lacks")

    def _token(self, challenge: Challenge, scope: str, what: str) -> str:
        realm = challenge.params.get("realm", "")
        if not realm.startswith(("https://", "http://")):
            raise RegistryError(f"{what}: {self.host} sent a token realm that is not a URL: {realm!r}")
        params = {"service": challenge.params.get("service", ""), "scope": challenge.params.get("scope") or scope}
        headers: dict[str, str] = {}
        credentials = self.credentials
        if credentials is None and self.host in ollama_key.OLLAMA_HOSTS and ollama_key.has_key():
            return self._ollama_token(realm, params, what)
        if credentials is not None and not credentials.identity_token:
            headers["Authorization"] = credentials.basic()
        try:
            if credentials is not None and credentials.identity_token:
                form = {**params, "grant_type": "refresh_token", "refresh_token": credentials.secret}
                form["client_id"] = "mfc"
                answer = self.http.post(realm, data=form)
            else:
                answer = self.http.get(realm, params={k: v for k, v in params.items() if v}, headers=headers)
        except httpx.HTTPError as error:
            raise RegistryError(f"{what}: cannot reach the token server {_origin(realm)}: {_reason(error)}") from None
        if answer.status_code in (401, 403):
            login = "the saved credentials were refused" if credentials else f"log in first (mfc login {self.host})"
            raise RegistryError(f"{what}: the token server {_origin(realm)} refused access: {login}", status=401)
        return _token_of(answer, realm, what, ("token", "access_token"))

    def _ollama_token(self, realm: str, params: dict[str, str], what: str) -> str:
        """Ollama's signed token request (``ollama_key.py``)."""
        url, headers = ollama_key.signed_request(realm, params["service"], params["scope"], self.host)
        try:
            answer = self.http.get(url, headers=headers)
        except httpx.HTTPError as error:
            raise RegistryError(f"{what}: cannot reach the token server {_origin(realm)}: {_reason(error)}") from None
        return _token_of(answer, realm, what, ("token",))


def _token_of(answer: httpx.Response, realm: str, what: str, keys: tuple[str, ...]) -> str:
    """The token a token server answered with (under the first of ``keys`` it sets)."""
    if answer.status_code >= 400:
        raise RegistryError.from_response("token", _origin(realm), answer.status_code, answer.content)
    try:
        data = answer.json()
        token = next((data[key] for key in keys if data.get(key)), None)
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise RegistryError(f"{what}: the token server {_origin(realm)} answered without a token")
    return token


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"


def _reason(error: httpx.HTTPError) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0]
