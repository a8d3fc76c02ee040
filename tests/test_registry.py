"""Push and pull against a real registry (Debian's docker-registry, Distribution 2.8):
anonymous, HTTP Basic (htpasswd) and Docker's token flow with the realm on another
port; blobs served directly (200) and by redirect (307); resumed and verified downloads;
credentials from mfc login, Docker's config.json and a credential helper."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from registries import (
    PASSWORD,
    USER,
    Registry,
    TokenServer,
    dropping_front,
    htpasswd,
    redirecting_front,
    registry,
)
from serving import tiny_model

import builder
from builder.errors import StoreError
from builder.events import Event
from builder.registry import RegistryError, pull, push
from builder.registry import download as download_module
from builder.registry.credentials import Credentials, find_credentials, save_credentials


@pytest.fixture(autouse=True)
def no_saved_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no mfc or Docker credentials."""
    monkeypatch.setenv("MFC_CONFIG_DIR", str(tmp_path / "mfc-config"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))


@pytest.fixture(scope="module")
def open_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with registry(tmp_path_factory.mktemp("open-registry")) as running:
        yield running


def _model(tmp: Path, store: Path, name: str, extra: str = "SYSTEM hi\n", **metadata: object) -> str:
    return tiny_model(tmp / f"src-{abs(hash(name))}", store, name, extra, **metadata)


def _blobs(store: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((store / "blobs").iterdir())}


def test_round_trip_keeps_the_model_id_and_bytes(tmp_path: Path, open_registry: Registry) -> None:
    name = f"{open_registry.host}/library/tiny:v1"
    digest = _model(tmp_path, tmp_path / "a", name)
    events: list[Event] = []
    pushed = push(name, store=tmp_path / "a", insecure=True, progress=events.append)
    assert pushed.digest == digest and len(pushed.uploaded) == 3
    statuses = [event.status for event in events]
    assert statuses[0] == "retrieving manifest" and statuses[-2:] == ["pushing manifest", "success"]

    pulled = pull(name, store=tmp_path / "b", insecure=True)
    assert pulled.digest == digest and pulled.reused == ()
    assert _blobs(tmp_path / "a") == _blobs(tmp_path / "b")
    assert (
        builder.Store(tmp_path / "b").find(name).path.read_bytes()
        == builder.Store(tmp_path / "a").find(name).path.read_bytes()
    )

    again = pull(name, store=tmp_path / "b", insecure=True)
    assert again.downloaded == () and len(again.reused) == 3
    assert push(name, store=tmp_path / "a", insecure=True).present == pushed.uploaded


def test_skopeo_reads_what_mfc_pushed(tmp_path: Path, open_registry: Registry) -> None:
    name = f"{open_registry.host}/library/skopeo-check:latest"
    _model(tmp_path, tmp_path / "a", name)
    push(name, store=tmp_path / "a", insecure=True)
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{name}"],
        capture_output=True,
        check=True,
    ).stdout
    assert raw == builder.Store(tmp_path / "a").find(name).path.read_bytes()
    # skopeo copy refuses a Docker schema-2 manifest whose layers are not image layers
    # ("unsupported docker v2s2 media type"): that is what --format oci is for.


def test_pull_follows_a_redirect_to_another_host(tmp_path: Path, open_registry: Registry) -> None:
    name = f"{open_registry.host}/library/redirected:latest"
    digest = _model(tmp_path, tmp_path / "a", name)
    push(name, store=tmp_path / "a", insecure=True)
    with redirecting_front(open_registry) as front:
        pulled = pull(f"{front.host}/library/redirected:latest", store=tmp_path / "b", insecure=True)
    assert pulled.digest == digest
    assert any(line.startswith("GET") and "/blobs/sha256:" in line for line in front.requests)


def test_a_corrupt_blob_is_refused_and_nothing_is_left(tmp_path: Path, open_registry: Registry) -> None:
    name = f"{open_registry.host}/library/corrupt:latest"
    _model(tmp_path, tmp_path / "a", name, "SYSTEM corrupt me\n")
    system = [
        layer for layer in builder.Store(tmp_path / "a").find(name).manifest.layers if "system" in layer.media_type
    ]
    hexdigest = system[0].digest.removeprefix("sha256:")
    push(name, store=tmp_path / "a", insecure=True)
    data = next((open_registry.root / "data").rglob(f"blobs/sha256/{hexdigest[:2]}/{hexdigest}/data"))
    data.write_bytes(b"corrupt!" + data.read_bytes()[8:])
    with pytest.raises(RegistryError, match=f"digest mismatch, file must be downloaded again: want sha256:{hexdigest}"):
        pull(name, store=tmp_path / "b", insecure=True)
    store = builder.Store(tmp_path / "b")
    assert store.find_optional(name) is None
    assert not any("partial" in path.name for path in store.blobs.iterdir())


def test_an_interrupted_pull_resumes_where_it_stopped(
    tmp_path: Path, open_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(download_module, "PARALLEL_FROM", 2**20)
    monkeypatch.setattr(download_module, "PART_SIZE", 2**19)
    monkeypatch.setattr(download_module, "SAVE_EVERY", 2**16)
    monkeypatch.setattr(download_module, "CHUNK", 2**16)
    name = f"{open_registry.host}/library/big:latest"
    digest = _model(tmp_path, tmp_path / "a", name, "", **{"test.padding": "x" * (3 * 2**20)})
    push(name, store=tmp_path / "a", insecure=True)

    class Stop(Exception):
        pass

    def stop_half_way(event: Event) -> None:
        if event.total > 2**20 and event.completed > event.total // 2:
            raise Stop

    with pytest.raises(Stop):
        pull(name, store=tmp_path / "b", insecure=True, progress=stop_half_way)
    assert builder.Store(tmp_path / "b").find_optional(name) is None
    assert any(path.name.endswith("-partial") for path in (tmp_path / "b" / "blobs").iterdir())

    seen: list[Event] = []
    pulled = pull(name, store=tmp_path / "b", insecure=True, progress=seen.append)
    assert pulled.digest == digest
    resumed = [event.completed for event in seen if event.total > 2**20]
    assert resumed[0] > 0, "the second pull started from the bytes the first one kept"
    assert _blobs(tmp_path / "a") == _blobs(tmp_path / "b")


def test_a_connection_that_drops_mid_blob_is_retried(tmp_path: Path, open_registry: Registry) -> None:
    name = f"{open_registry.host}/library/dropped:latest"
    digest = _model(tmp_path, tmp_path / "a", name, "", **{"test.padding": "y" * 2**20})
    push(name, store=tmp_path / "a", insecure=True)
    with dropping_front(open_registry, drops=2) as front:
        pulled = pull(f"{front.host}/library/dropped:latest", store=tmp_path / "b", insecure=True)
    assert pulled.digest == digest
    assert _blobs(tmp_path / "a") == _blobs(tmp_path / "b")
    model_gets = [line for line in front.requests if "/blobs/sha256:" in line]
    assert len(model_gets) >= 3, "two answers broke off and were asked for again"
    assert any(line.split()[-1].startswith("bytes=") and not line.endswith("bytes=0-") for line in model_gets[1:])


def test_a_failed_push_leaves_no_manifest(tmp_path: Path, open_registry: Registry) -> None:
    name = f"{open_registry.host}/library/half:latest"
    _model(tmp_path, tmp_path / "a", name, "SYSTEM half\n")
    store = builder.Store(tmp_path / "a")
    model = store.find(name)
    store.blob_path(model.manifest.layers[-1].digest).unlink()
    with pytest.raises(StoreError, match="is missing from the store"):
        push(name, store=tmp_path / "a", insecure=True)
    with pytest.raises(RegistryError, match=r"pull model manifest: .*404 MANIFEST_UNKNOWN"):
        pull(name, store=tmp_path / "b", insecure=True)


def test_names_are_checked_before_any_request(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="insecure protocol http"):
        pull("http://127.0.0.1:9/library/x", store=tmp_path)


# ---- Basic auth ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    root = tmp_path_factory.mktemp("basic-registry")
    with registry(root, auth=htpasswd(root)) as running:
        yield running


def test_basic_auth_needs_a_login_and_never_shows_the_password(tmp_path: Path, basic_registry: Registry) -> None:
    name = f"{basic_registry.host}/team/secret:latest"
    _model(tmp_path, tmp_path / "a", name)
    with pytest.raises(RegistryError, match=f"requires a login \\(mfc login {basic_registry.host}\\)"):
        push(name, store=tmp_path / "a", insecure=True)
    save_credentials(basic_registry.host, Credentials(USER, "wrong-password"))
    with pytest.raises(RegistryError) as refused:
        push(name, store=tmp_path / "a", insecure=True)
    assert "401" in str(refused.value) and "wrong-password" not in str(refused.value)


def test_basic_auth_with_mfc_login(tmp_path: Path, basic_registry: Registry) -> None:
    name = f"{basic_registry.host}/team/model:v1"
    digest = _model(tmp_path, tmp_path / "a", name)
    path = save_credentials(basic_registry.host, Credentials(USER, PASSWORD))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert push(name, store=tmp_path / "a", insecure=True).digest == digest
    assert pull(name, store=tmp_path / "b", insecure=True).digest == digest
    assert PASSWORD not in (tmp_path / "b").joinpath("manifests").rglob("*").__next__().as_posix()


def test_basic_auth_from_docker_config(tmp_path: Path, basic_registry: Registry) -> None:
    name = f"{basic_registry.host}/team/docker-config:v1"
    digest = _model(tmp_path, tmp_path / "a", name)
    config = Path(os.environ["DOCKER_CONFIG"])
    config.mkdir(parents=True)
    pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {basic_registry.host: {"auth": pair}}}))
    assert push(name, store=tmp_path / "a", insecure=True).digest == digest


def test_basic_auth_from_a_credential_helper(
    tmp_path: Path, basic_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-mfctest"
    asked = tmp_path / "asked"
    helper.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = get ] || exit 1\nread host\necho "$host" > {asked}\n'
        f'printf \'{{"ServerURL":"%s","Username":"{USER}","Secret":"{PASSWORD}"}}\' "$host"\n'
    )
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    config = Path(os.environ["DOCKER_CONFIG"])
    config.mkdir(parents=True)
    (config / "config.json").write_text(json.dumps({"credHelpers": {basic_registry.host: "mfctest"}}))
    found = find_credentials(basic_registry.host)
    assert found is not None and found.username == USER and PASSWORD not in repr(found)
    name = f"{basic_registry.host}/team/helper:v1"
    digest = _model(tmp_path, tmp_path / "a", name)
    assert push(name, store=tmp_path / "a", insecure=True).digest == digest
    assert asked.read_text().strip() == basic_registry.host


# ---- Docker's token flow -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, TokenServer]]:
    root = tmp_path_factory.mktemp("token-registry")
    tokens = TokenServer(root)
    with tokens.serving(), registry(root, auth=tokens.auth_section()) as running:
        yield running, tokens


def test_token_flow_with_the_realm_on_another_port(
    tmp_path: Path, token_registry: tuple[Registry, TokenServer]
) -> None:
    running, tokens = token_registry
    name = f"{running.host}/team/tokened:v1"
    digest = _model(tmp_path, tmp_path / "a", name)
    with pytest.raises(RegistryError, match=r"refused|denied|401"):
        push(name, store=tmp_path / "a", insecure=True)
    save_credentials(running.host, Credentials(USER, PASSWORD))
    before = tokens.issued
    assert push(name, store=tmp_path / "a", insecure=True).digest == digest
    assert tokens.issued - before <= 3, "the token is kept per scope, not fetched per request"
    assert pull(name, store=tmp_path / "b", insecure=True).digest == digest
    assert all(request["user"] in ("", USER) for request in tokens.requests)


def test_anonymous_token_pulls_a_public_repository(
    tmp_path: Path, token_registry: tuple[Registry, TokenServer]
) -> None:
    running, _ = token_registry
    name = f"{running.host}/public/open:v1"
    digest = _model(tmp_path, tmp_path / "a", name)
    save_credentials(running.host, Credentials(USER, PASSWORD))
    push(name, store=tmp_path / "a", insecure=True)
    shutil.rmtree(Path(os.environ["MFC_CONFIG_DIR"]))
    assert pull(name, store=tmp_path / "b", insecure=True).digest == digest


PULL_SLOWLY = """
import sys, time
from builder.registry import download
download.PARALLEL_FROM, download.PART_SIZE, download.SAVE_EVERY = 2**20, 2**21, 2**16
from builder.registry import pull

def slowly(event):
    time.sleep(0.1)  # slow enough that twenty kills land before the pull can finish

pull(sys.argv[1], store=sys.argv[2], insecure=True, progress=slowly)
"""


@pytest.mark.slow
def test_a_pull_killed_at_random_points_never_leaves_a_broken_store(
    tmp_path: Path, open_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random
    import sys
    import time

    from serving import REPO

    name = f"{open_registry.host}/library/killed:latest"
    digest = _model(tmp_path, tmp_path / "a", name, "", **{"test.padding": "z" * (24 * 2**20)})
    push(name, store=tmp_path / "a", insecure=True)
    store = builder.Store(tmp_path / "b")
    chance = random.Random(20)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    interrupted = 0
    for _ in range(20):
        process = subprocess.Popen([sys.executable, "-c", PULL_SLOWLY, name, str(store.root)], env=env)
        time.sleep(chance.uniform(0.3, 1.2))
        process.kill()
        process.wait()
        for path in store.blobs.iterdir() if store.blobs.exists() else ():
            if path.name.startswith("sha256-") and len(path.name) == 71:
                assert "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest() == path.name.replace("-", ":")
        model = store.find_optional(name)
        if model is None:
            interrupted += 1
        else:
            assert all(store.has_blob(layer.digest) for layer in (*model.manifest.layers, model.manifest.config))
    assert interrupted >= 15, "most kills landed before the pull finished"
    seen: list[Event] = []
    monkeypatch.setattr(download_module, "PARALLEL_FROM", 2**20)  # the parts the killed pulls fetched
    monkeypatch.setattr(download_module, "PART_SIZE", 2**21)
    assert pull(name, store=tmp_path / "b", insecure=True, progress=seen.append).digest == digest
    assert next(event.completed for event in seen if event.total > 2**20) > 0, "the last pull resumed"
    assert _blobs(tmp_path / "a") == _blobs(tmp_path / "b")
    assert not [path for path in store.blobs.iterdir() if "partial" in path.name]


# ---- the OCI form --------------------------------------------------------------------------------


def test_the_oci_form_is_read_by_skopeo_and_pulled_with_the_same_id(tmp_path: Path, open_registry: Registry) -> None:
    name = f"{open_registry.host}/library/oci-form:v1"
    digest = _model(tmp_path, tmp_path / "a", name, "SYSTEM oci\nLICENSE MIT\n")
    pushed = push(name, store=tmp_path / "a", insecure=True, format="oci")
    assert pushed.digest == digest and len(pushed.uploaded) == 5  # model, system, license, config, ModelPack config
    raw = json.loads(
        subprocess.run(
            ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{name}"], capture_output=True, check=True
        ).stdout
    )
    assert raw["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert raw["artifactType"] == "application/vnd.cncf.model.manifest.v1+json"
    subprocess.run(
        ["skopeo", "copy", "--src-tls-verify=false", f"docker://{name}", f"dir:{tmp_path / 'copied'}"],
        capture_output=True,
        check=True,
    )
    copied = {path.name for path in (tmp_path / "copied").iterdir()}
    assert {blob.removeprefix("sha256-") for blob in _blobs(tmp_path / "a")} <= copied
    pulled = pull(name, store=tmp_path / "b", insecure=True)
    assert pulled.digest == digest
    assert _blobs(tmp_path / "a") == _blobs(tmp_path / "b")


def _oci_layout(folder: Path, store: Path, name: str, tag: str) -> None:
    """An OCI image layout (what `skopeo copy oci:…` reads) holding the OCI form of ``name``."""
    from builder.registry.oci import OCI_MANIFEST, oci_form

    stored = builder.Store(store)
    model = stored.find(name)
    config = json.loads(stored.read_blob(model.manifest.config.digest))
    manifest, modelpack = oci_form(model.path.read_bytes(), config, name)
    blobs = folder / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for data in (manifest, modelpack):
        (blobs / hashlib.sha256(data).hexdigest()).write_bytes(data)
    for layer in (*model.manifest.layers, model.manifest.config):
        shutil.copyfile(stored.blob_path(layer.digest), blobs / layer.digest.removeprefix("sha256:"))
    (folder / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    entry = {
        "mediaType": OCI_MANIFEST,
        "digest": "sha256:" + hashlib.sha256(manifest).hexdigest(),
        "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }
    (folder / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))


def test_a_model_copied_by_skopeo_from_an_oci_layout_is_pulled(tmp_path: Path, open_registry: Registry) -> None:
    digest = _model(tmp_path, tmp_path / "a", "local/layout:v1", "SYSTEM from a layout\n")
    _oci_layout(tmp_path / "layout", tmp_path / "a", "local/layout:v1", "v1")
    target = f"{open_registry.host}/library/from-layout:v1"
    subprocess.run(
        ["skopeo", "copy", "--dest-tls-verify=false", f"oci:{tmp_path / 'layout'}:v1", f"docker://{target}"],
        capture_output=True,
        check=True,
    )
    assert pull(target, store=tmp_path / "b", insecure=True).digest == digest


def test_an_oci_artifact_of_another_tool_is_refused_clearly(tmp_path: Path, open_registry: Registry) -> None:
    digest = _model(tmp_path, tmp_path / "a", "local/other:v1")
    _oci_layout(tmp_path / "layout", tmp_path / "a", "local/other:v1", "v1")
    index = json.loads((tmp_path / "layout" / "index.json").read_text())
    blobs = tmp_path / "layout" / "blobs" / "sha256"
    old = index["manifests"][0]["digest"].removeprefix("sha256:")
    manifest = json.loads((blobs / old).read_bytes())
    del manifest["annotations"]
    data = json.dumps(manifest).encode()
    (blobs / hashlib.sha256(data).hexdigest()).write_bytes(data)
    index["manifests"][0].update(digest="sha256:" + hashlib.sha256(data).hexdigest(), size=len(data))
    (tmp_path / "layout" / "index.json").write_text(json.dumps(index))
    target = f"{open_registry.host}/library/foreign:v1"
    subprocess.run(
        ["skopeo", "copy", "--dest-tls-verify=false", f"oci:{tmp_path / 'layout'}:v1", f"docker://{target}"],
        capture_output=True,
        check=True,
    )
    with pytest.raises(RegistryError, match="carries no Ollama manifest"):
        pull(target, store=tmp_path / "b", insecure=True)
    assert digest and builder.Store(tmp_path / "b").find_optional(target) is None


def test_a_blob_in_another_repository_of_the_registry_is_mounted(tmp_path: Path, open_registry: Registry) -> None:
    base = f"{open_registry.host}/team/base:v1"
    _model(tmp_path, tmp_path / "a", base, "SYSTEM base\n")
    push(base, store=tmp_path / "a", insecure=True)
    child = f"{open_registry.host}/other/child:v1"
    (tmp_path / "Modelfile.child").write_text(f"FROM {base}\nSYSTEM child\n")
    builder.build(tmp_path / "Modelfile.child", child, store=tmp_path / "a")
    pushed = push(child, store=tmp_path / "a", insecure=True)
    model_digest = builder.Store(tmp_path / "a").find(base).manifest.layers[0].digest
    assert model_digest in pushed.mounted and model_digest not in pushed.uploaded
    assert pull(child, store=tmp_path / "b", insecure=True).digest == pushed.digest


def test_large_blobs_are_pushed_in_chunks(tmp_path: Path, open_registry: Registry) -> None:
    name = f"{open_registry.host}/library/chunked:v1"
    digest = _model(tmp_path, tmp_path / "a", name, "", **{"test.padding": "c" * 300_000})
    sent: list[Event] = []
    pushed = push(name, store=tmp_path / "a", insecure=True, chunk_size=64 * 1024, progress=sent.append)
    assert pushed.digest == digest
    big = [event.completed for event in sent if event.total > 64 * 1024]
    assert len(set(big)) > 4, "the model blob went up in several PATCH chunks"
    assert pull(name, store=tmp_path / "b", insecure=True).digest == digest
    assert _blobs(tmp_path / "a") == _blobs(tmp_path / "b")
