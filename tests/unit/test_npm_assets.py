"""Browser libraries from the npm registry: pinned, checked against their integrity, unpacked with the licence."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from tools import npm_assets
from tools.npm_assets import NpmAsset


def _tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _integrity(blob: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()


ASSET = NpmAsset("demo-lib", "1.2.3", "", ("dist/demo.js",), "LICENSE")


def test_a_tarball_is_taken_only_with_the_pinned_hash() -> None:
    blob = _tarball({"dist/demo.js": b"x", "LICENSE": b"MIT"})
    npm_assets.check_integrity(blob, _integrity(blob))
    with pytest.raises(npm_assets.IntegrityError, match="mismatch"):
        npm_assets.check_integrity(blob + b"tampered", _integrity(blob))
    with pytest.raises(npm_assets.IntegrityError, match="algorithm"):
        npm_assets.check_integrity(blob, "sha1-" + base64.b64encode(hashlib.sha1(blob).digest()).decode())


def test_only_the_files_the_pages_load_and_the_licence_are_kept(tmp_path: Path) -> None:
    blob = _tarball({"dist/demo.js": b"code", "LICENSE": b"MIT", "src/huge.ts": b"source", "../escape": b"no"})
    written = npm_assets.unpack(ASSET, blob, tmp_path)
    assert sorted(p.name for p in written) == ["LICENSE", "demo.js"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LICENSE", "demo.js"]
    assert (tmp_path / "demo.js").read_bytes() == b"code"


def test_a_tarball_lacking_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(npm_assets.IntegrityError, match="lacks"):
        npm_assets.unpack(ASSET, _tarball({"dist/demo.js": b"code"}), tmp_path)


def test_the_wall_engine_is_pinned_with_its_licence_and_installed_by_make() -> None:
    (engine,) = [a for a in npm_assets.ASSETS if a.name == "maplibre-gl"]
    assert engine.integrity.startswith("sha512-") and engine.version.count(".") == 2
    assert npm_assets.installed(engine), "make install (tools.npm_assets) did not put maplibre-gl in assets/vendor"
    assert "BSD" in (engine.folder / "LICENSE.txt").read_text() or "Copyright" in (engine.folder / "LICENSE.txt").read_text()
