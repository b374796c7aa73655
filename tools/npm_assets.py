"""Browser libraries from the npm registry, pinned and checked, copied with their licences into assets/vendor/.

`make install` runs this (python -m tools.npm_assets): each package's tarball is fetched from the registry at
the pinned version, its sha512 checked against the registry's integrity string written here, and only the files
the pages load are kept, beside the package's licence. Nothing is loaded from a CDN; nothing needs Node.js.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

REGISTRY = "https://registry.npmjs.org"
VENDOR = Path(__file__).resolve().parent.parent / "assets" / "vendor"
TIMEOUT_S = 60


@dataclass(frozen=True)
class NpmAsset:
    """One pinned npm package and the files of it the pages use (paths inside the tarball's package/)."""

    name: str
    version: str
    integrity: str  # the registry's dist.integrity: "sha512-" + base64 of the tarball's SHA-512
    files: tuple[str, ...]
    licence: str

    @property
    def tarball(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"

    @property
    def folder(self) -> Path:
        return VENDOR / self.name


# The wall's map engine: the MapLibre that Plotly's own map traces run on, without Plotly's 4.6 MB bundle.
ASSETS: tuple[NpmAsset, ...] = (
    NpmAsset("maplibre-gl", "5.24.1",
             "sha512-HyiYBwtsbk3L1n1EPLJHWqdoyMiF80n7tEYXFZyu2m1TjvaNx6KMLiFeDdmszt1/mq2zvsR1TJuX/NMu5BonXQ==",
             ("dist/maplibre-gl.js", "dist/maplibre-gl.css"), "LICENSE.txt"),
    # The HLS player of the video panes (assets/video.js): MSE playback of H.264 live views in any browser.
    NpmAsset("hls.js", "1.7.4",
             "sha512-3GlxGdPvT2YHvQYOt+yOzT/DEior/qJVNIylHA77kgeoBTdQQqi70GwefNEUmHQeNGyjC8U62+bruqW/Tpm+tg==",
             ("dist/hls.min.js",), "LICENSE"),
)


class IntegrityError(RuntimeError):
    """A downloaded tarball is not the one pinned."""


def check_integrity(blob: bytes, integrity: str) -> None:
    """Raise IntegrityError unless ``blob`` has the SHA-512 named by the npm ``integrity`` string."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise IntegrityError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(blob).digest()).decode()
    if actual != expected:
        raise IntegrityError(f"sha512 mismatch: expected {expected}, got {actual}")


def unpack(asset: NpmAsset, blob: bytes, target: Path) -> list[Path]:
    """Write the asset's files and licence from the tarball ``blob`` into ``target``; returns the paths written."""
    wanted = {f"package/{name}": Path(name).name for name in (*asset.files, asset.licence)}
    written = []
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.name in wanted and member.isfile():
                source = tar.extractfile(member)
                assert source is not None
                path = target / wanted[member.name]
                path.write_bytes(source.read())
                written.append(path)
    missing = set(wanted.values()) - {p.name for p in written}
    if missing:
        raise IntegrityError(f"{asset.name}@{asset.version} lacks {sorted(missing)}")
    return written


def installed(asset: NpmAsset) -> bool:
    """True when the pinned version's files are already in place."""
    stamp = asset.folder / "VERSION.json"
    try:
        pinned = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return pinned == {"version": asset.version, "integrity": asset.integrity} and all(
        (asset.folder / Path(name).name).is_file() for name in (*asset.files, asset.licence))


def install(asset: NpmAsset) -> None:
    """Fetch, check and unpack one asset unless it is already in place."""
    if installed(asset):
        return
    logger.info("fetching %s@%s from %s", asset.name, asset.version, REGISTRY)
    with urllib.request.urlopen(asset.tarball, timeout=TIMEOUT_S) as answer:  # noqa: S310 - a fixed https URL
        blob = answer.read()
    check_integrity(blob, asset.integrity)
    unpack(asset, blob, asset.folder)
    (asset.folder / "VERSION.json").write_text(json.dumps({"version": asset.version, "integrity": asset.integrity}))


def main() -> int:
    """Install every pinned asset; a failure names the package and exits 1."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for asset in ASSETS:
        try:
            install(asset)
        except (OSError, IntegrityError) as error:
            logger.error("could not install %s@%s: %s", asset.name, asset.version, error)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
