"""nbviz.reduce: PCA vs numpy's SVD, t-SNE / UMAP trustworthiness on digits, exact nearest
neighbours vs brute force, sampling + transform, alignment, cache, bad input."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

from nbviz import reduce as R

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.manifold import trustworthiness  # noqa: E402

HAS_OPENTSNE = importlib.util.find_spec("openTSNE") is not None
HAS_UMAP = importlib.util.find_spec("umap") is not None


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    return x.astype(np.float32), y


def _svd_projection(x: np.ndarray, k: int) -> np.ndarray:
    centered = x.astype(np.float64) - x.astype(np.float64).mean(axis=0)
    _, _, vt = np.linalg.svd(centered, full_matrices=False)
    return centered @ vt[:k].T


def _equal_up_to_sign(a: np.ndarray, b: np.ndarray, rtol: float) -> None:
    for axis in range(b.shape[1]):
        sign = np.sign(np.dot(a[:, axis], b[:, axis]))
        scale = np.abs(b[:, axis]).max()
        np.testing.assert_allclose(sign * a[:, axis], b[:, axis], atol=rtol * scale)


@pytest.mark.parametrize("solver", ["exact", "randomized"])
def test_pca_equals_numpy_svd_projection(solver: str) -> None:
    rng = np.random.default_rng(1)
    # a clear, decaying spectrum (distinct variances) so the axes are well defined
    d = 300
    x = (rng.normal(size=(3000, d)) * 8.0 * 0.8 ** np.arange(d)) @ np.linalg.qr(
        rng.normal(size=(d, d)))[0] + 3.0
    result = R.pca(x, 3, solver=solver)
    assert result.positions.dtype == np.float32 and result.positions.shape == (3000, 3)
    _equal_up_to_sign(result.positions, _svd_projection(x, 3), 1e-4)
    expected_ratio = np.linalg.svd(x - x.mean(0), compute_uv=False) ** 2
    expected_ratio = expected_ratio[:3] / expected_ratio.sum()
    np.testing.assert_allclose(result.info["explained_variance_ratio"], expected_ratio, rtol=1e-3)


def test_pca_on_digits_and_torch_input(digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = digits
    two = R.pca(x, 2).positions
    _equal_up_to_sign(two, _svd_projection(x, 2), 1e-4)
    three = R.pca(x, 3).positions
    np.testing.assert_allclose(three[:, :2], two, rtol=1e-5, atol=1e-4)  # nested axes
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(R.pca(torch.from_numpy(x), 2).positions, two, atol=1e-4)


def test_pca_sample_fits_on_subset_and_projects_all() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5000, 10)) * 10.0 * 2.0 ** -np.arange(10)
    result = R.pca(x, 2, sample=1000)
    assert result.fit_size == 1000 and result.positions.shape == (5000, 2)
    exact = _svd_projection(x, 2)
    for axis in range(2):  # directions fitted on 20% of the rows: nearly the same axes
        assert abs(np.corrcoef(result.positions[:, axis], exact[:, axis])[0, 1]) > 0.99


def test_pca_pads_when_fewer_input_dims() -> None:
    x = np.random.default_rng(3).normal(size=(100, 2))
    positions = R.pca(x, 3).positions
    assert positions.shape == (100, 3) and np.all(positions[:, 2] == 0)


@pytest.mark.skipif(not HAS_OPENTSNE, reason="openTSNE not installed")
def test_tsne_on_digits_is_trustworthy(digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = digits
    stages: list[tuple[str, float | None]] = []
    # 250 early-exaggeration iterations + 100 (default 500): the layout is as trustworthy
    # (0.992 against 0.993 at the default) in under half the time; the progress must still
    # count this n_iter's iterations up to exactly 1.0.
    result = R.tsne(x, 2, n_iter=100,
                    progress=lambda stage, fraction: stages.append((stage, fraction)))
    assert result.positions.shape == (len(x), 2) and np.isfinite(result.positions).all()
    score = trustworthiness(x, result.positions, n_neighbors=10)
    assert score >= 0.9, score
    fractions = [f for s, f in stages if s == "optimizing" and f is not None]
    assert fractions and fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


@pytest.mark.skipif(not HAS_OPENTSNE, reason="openTSNE not installed")
def test_tsne_fit_on_sample_places_the_rest(digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = digits
    result = R.tsne(x, 2, sample=800, n_iter=100)  # 0.975 trustworthy, as at n_iter=250
    assert result.fit_size == 800 and result.positions.shape == (len(x), 2)
    assert np.isfinite(result.positions).all()
    assert trustworthiness(x, result.positions, n_neighbors=10) >= 0.85


@pytest.mark.skipif(not HAS_OPENTSNE, reason="openTSNE not installed")
def test_tsne_cancel_stops_early(digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = digits

    def cancel(stage: str, fraction: float | None) -> None:
        if stage == "optimizing" and fraction and fraction > 0.1:
            raise R.Cancelled()

    with pytest.raises(R.Cancelled):
        R.tsne(x[:600], 2, progress=cancel)


@pytest.mark.skipif(not HAS_UMAP, reason="umap-learn not installed")
def test_umap_on_digits_is_trustworthy_and_reports_epochs(
        digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = digits
    stages: list[tuple[str, float | None]] = []
    half = x[::2]  # 899 digits of every class: UMAP's epochs cost in proportion to the points
    result = R.umap(half, 2, progress=lambda stage, fraction: stages.append((stage, fraction)))
    assert result.positions.shape == (len(half), 2) and np.isfinite(result.positions).all()
    score = trustworthiness(half, result.positions, n_neighbors=10)
    assert score >= 0.9, score
    assert any(s == "optimizing" and f is not None and f > 0.5 for s, f in stages)
    sampled = R.umap(x, 3, sample=900)
    assert sampled.fit_size == 900 and sampled.positions.shape == (len(x), 3)
    assert trustworthiness(x, sampled.positions, n_neighbors=10) >= 0.85


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_nearest_neighbors_equal_brute_force(metric: str) -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2000, 24)).astype(np.float32)
    queries = [0, 17, 1999]
    indices, distances = R.nearest_neighbors(x, queries, k=15, metric=metric)
    x64 = x.astype(np.float64)
    for row, q in enumerate(queries):
        if metric == "cosine":
            unit = x64 / np.linalg.norm(x64, axis=1, keepdims=True)
            brute = 1 - unit @ unit[q]
        else:
            brute = np.linalg.norm(x64 - x64[q], axis=1)
        brute[q] = np.inf
        expected = np.argsort(brute, kind="stable")[:15]
        np.testing.assert_array_equal(indices[row], expected)
        np.testing.assert_allclose(distances[row], brute[expected], rtol=1e-4, atol=1e-5)
    one, one_d = R.nearest_neighbors(x, 17, k=15, metric=metric)
    np.testing.assert_array_equal(one, indices[1])
    assert one_d.dtype == np.float32


def test_nearest_neighbors_chunked_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "CHUNK_ROWS", 64)  # many blocks
    x = np.random.default_rng(5).normal(size=(500, 8)).astype(np.float32)
    got, _ = R.nearest_neighbors(x, 3, k=7, metric="euclidean")
    brute = np.linalg.norm(x - x[3], axis=1)
    brute[3] = np.inf
    np.testing.assert_array_equal(got, np.argsort(brute, kind="stable")[:7])
    _equal_up_to_sign(R.pca(x, 2).positions, _svd_projection(x, 2), 1e-4)


def test_align_recovers_rotation_and_sign() -> None:
    rng = np.random.default_rng(6)
    a = rng.normal(size=(300, 3)).astype(np.float32)
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    moved = (a @ rotation + 5).astype(np.float32)
    np.testing.assert_allclose(R.align(a, moved), a, atol=1e-4)
    flipped = a * np.array([-1, 1, -1], np.float32)
    np.testing.assert_allclose(R.align(a, flipped, rotate=False), a)


def test_cache_lru_by_bytes() -> None:
    cache = R.ReductionCache(max_bytes=2 * 100 * 2 * 4)
    results = [R.pca(np.random.default_rng(i).normal(size=(100, 4)), 2) for i in range(3)]
    for i, result in enumerate(results):
        cache.put(("run", "tag", i, R.params_key("pca", 2, None)), result)
    assert len(cache) == 2 and cache.get(("run", "tag", 0, R.params_key("pca", 2, None))) is None
    assert cache.get(("run", "tag", 2, R.params_key("pca", 2, None))) is results[2]
    assert cache.nbytes == 2 * results[0].positions.nbytes


def test_params_key_is_canonical() -> None:
    a = R.params_key("tsne", 2, {"perplexity": 30.0, "metric": "euclidean"})
    b = R.params_key("tsne", 2, {"metric": "euclidean"})
    assert a == b and a.startswith("tsne:2:")
    assert R.params_key("tsne", 3, None) != a


def test_drop_nonfinite_warns_with_count() -> None:
    x = np.ones((10, 3), np.float32)
    x[[2, 5], 1] = [np.nan, np.inf]
    with pytest.warns(RuntimeWarning, match=r"dropped 2 of 10 rows of 'features'"):
        clean, kept = R.drop_nonfinite(x, where="log_embedding()")
    assert clean.shape == (8, 3) and kept is not None and 2 not in kept and 5 not in kept
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same, none = R.drop_nonfinite(np.ones((3, 2), np.float32), where="f()")
    assert none is None and same.shape == (3, 2)
    with pytest.raises(ValueError, match="every row"):
        R.drop_nonfinite(np.full((2, 2), np.nan, np.float32), where="f()")


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: R.pca(np.arange(10.0), 2), ValueError, r"'x' must be 2-D .*shape \(10,\)"),
        (lambda: R.pca([["a", "b"]], 2), TypeError, "numeric"),
        (lambda: R.pca(np.ones((5, 3)), 4), ValueError, "'dims' must be 2 or 3"),
        (lambda: R.pca(np.ones((1, 3)), 2), ValueError, "at least 2 points"),
        (lambda: R.pca(np.full((5, 3), np.nan), 2), ValueError, "NaN or Inf"),
        (lambda: R.pca(np.ones((5, 3)), 2, solver="qr"), ValueError, "'solver'"),
        (lambda: R.tsne(np.ones((20, 3)), 2), ValueError, r"needs at least 92 points, got 20"),
        (lambda: R.tsne(np.ones((200, 3)), 2, perplexity=0), ValueError, "'perplexity'"),
        (lambda: R.tsne(np.ones((200, 3)), 2, metric="manhattan"), ValueError, "'metric'"),
        (lambda: R.umap(np.ones((10, 3)), 2), ValueError, r"n_neighbors=15 needs at least 17"),
        (lambda: R.umap(np.ones((100, 3)), 2, min_dist=2), ValueError, "'min_dist'"),
        (lambda: R.reduce(np.ones((10, 3)), "lda"), ValueError, "'method' must be one of"),
        (lambda: R.reduce(np.ones((10, 3)), "pca", 2, {"perplexity": 3}), ValueError,
         "unknown pca parameter"),
        (lambda: R.nearest_neighbors(np.ones((5, 2)), 9), IndexError, r"'index' must be in 0\.\.4"),
        (lambda: R.nearest_neighbors(np.ones((5, 2)), 0, k=0), ValueError, "'k'"),
        (lambda: R.nearest_neighbors(np.ones((1, 2)), 0), ValueError, "at least 2 points"),
        (lambda: R.tsne(np.ones((200, 3)), 2, sample=5), ValueError, "'sample'"),
    ],
)
def test_bad_input_names_the_argument(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


def test_missing_optional_package_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def fake(name: str, *args: object) -> object:
        if name in ("umap", "openTSNE"):
            raise ImportError(name)
        return real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(R.importlib, "import_module", fake)
    with pytest.raises(ImportError, match=r"pip install umap-learn .*nbviz\[umap\]"):
        R.umap(np.random.default_rng(0).normal(size=(50, 4)), 2)
    with pytest.raises(ImportError, match=r"pip install openTSNE"):
        R.tsne(np.random.default_rng(0).normal(size=(200, 4)), 2)
