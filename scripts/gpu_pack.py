"""FER2013 small enough to travel to a lent GPU machine with the repo (docs/gpu_sweep.md): the working tree that goes
there is at most 64 MiB, the repo already takes about half, and the 97 MB .csv.gz does not fit.

    python scripts/gpu_pack.py --data ../shared/data/fer2013/fer2013.csv.gz     # writes .gpu_pack/fer2013.npz

PublicTest, which chooses and scores the candidates, is packed losslessly (row-wise differences, LZMA). Training faces
are packed as lossy WebP mosaics: lossless they take about 40 MB; at WEBP_QUALITY they take about 18 MB and differ from
the originals by about 2 grey levels on average (39 dB PSNR, measured when packing and written on each card), less
than the augmentation's own interpolation changes them. A model trained on them is scored as served on the exact
data here, by scripts/ship_model.py --data, before it ships."""

from __future__ import annotations

import argparse
import io
import json
import lzma
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PACK = REPO / ".gpu_pack" / "fer2013.npz"
WEBP_QUALITY = 85
FACES_PER_SIDE = 64  # a mosaic tile is 64×64 faces, 3072 px a side (WebP allows 16383)
FACE = 48
TRAVEL_LIMIT_MIB = 64  # the device tool's limit on the tree and the carried paths together
USAGES = ("Training", "PublicTest")


def write_pack(images: np.ndarray, labels: np.ndarray, usage: np.ndarray, class_names, digest: str, path: Path,
               quality: int = WEBP_QUALITY) -> dict:
    """Pack uint8 faces (N, 48, 48) of the Training and PublicTest usages; returns what the pack says about itself."""
    keep = np.isin(usage, USAGES)
    images, labels, usage = images[keep], labels[keep], usage[keep]
    training, public = usage == "Training", usage == "PublicTest"
    tiles = [_encode_tile(tile, quality) for tile in _tiles(images[training])]
    decoded = _decode_tiles(tiles, int(training.sum()))
    error = decoded.astype(np.float64) - images[training]
    mse = float(np.mean(error ** 2)) if error.size else 0.0
    about = {
        "data_sha1": digest, "class_names": list(class_names), "training_faces": int(training.sum()),
        "public_test_faces": int(public.sum()), "training_codec": f"WebP quality {quality} (lossy)",
        "training_psnr_db": round(float(10 * np.log10(255 ** 2 / mse)), 2) if mse else None,
        "training_mean_abs_error": round(float(np.abs(error).mean()), 3) if error.size else 0.0,
        "public_test_codec": "row differences + LZMA (lossless)",
    }
    arrays = {f"training_tile_{i}": np.frombuffer(tile, np.uint8) for i, tile in enumerate(tiles)}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, training_labels=labels[training].astype(np.uint8), public_test_labels=labels[public].astype(np.uint8),
             public_test_lzma=np.frombuffer(_lossless(images[public]), np.uint8),
             about=np.frombuffer(json.dumps(about).encode(), np.uint8), **arrays)
    return about


def read_pack(path: Path) -> dict:
    """The pack as arrays: training_images, training_labels, public_test_images, public_test_labels, and `about`."""
    with np.load(path) as pack:
        about = json.loads(pack["about"].tobytes().decode())
        tiles = [pack[f"training_tile_{i}"].tobytes() for i in range(sum(k.startswith("training_tile_") for k in pack))]
        public_labels = pack["public_test_labels"].astype(np.int64)
        public = np.frombuffer(lzma.decompress(pack["public_test_lzma"].tobytes()), np.uint8)
        return {
            "about": about,
            "training_images": _decode_tiles(tiles, about["training_faces"]),
            "training_labels": pack["training_labels"].astype(np.int64),
            # Row differences back to pixels: a running sum along each row, modulo 256.
            "public_test_images": np.cumsum(public.reshape(-1, FACE, FACE), axis=2, dtype=np.uint8),
            "public_test_labels": public_labels,
        }


def _tiles(faces: np.ndarray):
    per_tile = FACES_PER_SIDE * FACES_PER_SIDE
    for start in range(0, len(faces), per_tile):
        chunk = faces[start:start + per_tile]
        rows = -(-len(chunk) // FACES_PER_SIDE)
        padded = np.zeros((rows * FACES_PER_SIDE, FACE, FACE), np.uint8)
        padded[:len(chunk)] = chunk
        yield padded.reshape(rows, FACES_PER_SIDE, FACE, FACE).transpose(0, 2, 1, 3).reshape(rows * FACE, -1)


def _encode_tile(tile: np.ndarray, quality: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(tile).save(buffer, "WEBP", quality=quality, method=6)
    return buffer.getvalue()


def _decode_tiles(tiles: list[bytes], count: int) -> np.ndarray:
    from PIL import Image

    faces = [np.asarray(Image.open(io.BytesIO(tile)).convert("L"))
             .reshape(-1, FACE, FACES_PER_SIDE, FACE).transpose(0, 2, 1, 3).reshape(-1, FACE, FACE) for tile in tiles]
    return np.concatenate(faces)[:count] if faces else np.zeros((0, FACE, FACE), np.uint8)


def _lossless(faces: np.ndarray) -> bytes:
    differences = np.diff(faces.astype(np.int16), axis=2, prepend=0).astype(np.uint8)
    return lzma.compress(differences.tobytes(), preset=9 | lzma.PRESET_EXTREME)


def main() -> None:
    sys.path.insert(0, str(REPO))
    from fer_core.data.dataset import load_fer2013

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="FER2013 as the app reads it (a .csv or .csv.gz)")
    parser.add_argument("--out", default=str(DEFAULT_PACK))
    parser.add_argument("--quality", type=int, default=WEBP_QUALITY, help="WebP quality of the Training faces")
    args = parser.parse_args()
    dataset = load_fer2013(args.data)
    about = write_pack(dataset.images, dataset.labels, dataset.usage, dataset.class_names, dataset.digest,
                       Path(args.out), args.quality)
    check = read_pack(Path(args.out))
    public = dataset.images[dataset.usage == "PublicTest"]
    assert np.array_equal(check["public_test_images"], public), "PublicTest did not survive the pack unchanged"
    print(f"{args.out}: {Path(args.out).stat().st_size / 2 ** 20:.1f} MiB; {about}")
    tree, carried = travel_mib([Path(args.out).parent, REPO / ".whl"])
    print(f"to the device: the tree {tree:.1f} MiB + carried (pack, wheels) {carried:.1f} MiB = {tree + carried:.1f} MiB"
          f" of its {TRAVEL_LIMIT_MIB} MiB" + ("" if tree + carried <= TRAVEL_LIMIT_MIB - 2 else
                                              ": TOO BIG, pack with a lower --quality (docs/gpu_sweep.md)"))


def travel_mib(carried: list[Path]) -> tuple[float, float]:
    """What a device call sends, in MiB: the tree (tracked and untracked files git does not ignore) and the carry."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    tree = sum(path.stat().st_size for path in (REPO / name for name in set(listed) if name) if path.is_file())
    carry = sum(path.stat().st_size for folder in carried if folder.exists() for path in folder.rglob("*")
                if path.is_file())
    return tree / 2 ** 20, carry / 2 ** 20


if __name__ == "__main__":
    main()
