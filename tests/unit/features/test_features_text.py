"""Text columns: TF-IDF on training rows, a capped vocabulary, missing text as empty."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from modelyard.features.text import TextEncoder


def test_matches_sklearn_tfidf_on_the_training_vocabulary(sst2, splitter):
    train, holdout = splitter(sst2, 300, seed=0)
    enc = TextEncoder("content", max_features=100_000).fit(train["content"])
    reference = TfidfVectorizer().fit(train["content"])
    assert enc.vocabulary_ == reference.get_feature_names_out().tolist()
    assert np.allclose(enc.idf_, reference.idf_)
    out = enc.transform(holdout["content"])
    assert np.allclose(out.to_numpy(), reference.transform(holdout["content"]).toarray())
    assert list(out.columns) == [f"content__tfidf__{t}" for t in enc.vocabulary_]


def test_vocabulary_is_capped_by_document_frequency(sst2):
    enc = TextEncoder("content", max_features=50).fit(sst2["content"])
    assert len(enc.vocabulary_) == 50
    assert enc.vocabulary_ == sorted(enc.vocabulary_)
    assert "the" in enc.vocabulary_  # the most frequent word survives the cap
    assert all(col.startswith("content__tfidf__") for col in enc.names_out_)


def test_missing_and_unseen_text_encode_as_zero_rows(sst2):
    enc = TextEncoder("content", max_features=200).fit(sst2["content"])
    out = enc.transform(pd.Series([None, np.nan, "", "zzzz qqqq"], dtype=object))
    np.testing.assert_allclose(out.to_numpy(), 0.0, atol=1e-12)
    rows = enc.transform(sst2["content"].iloc[:20]).to_numpy()
    norms = np.linalg.norm(rows, axis=1)
    assert np.allclose(norms[norms > 0], 1.0)


def test_no_terms_in_training_gives_an_empty_block():
    enc = TextEncoder("t").fit(pd.Series(["", None, "a"]))  # 'a' is below the two-character minimum
    assert enc.names_out_ == []
    assert enc.transform(pd.Series(["hello world"])).shape == (1, 0)


def test_zero_rows_give_an_empty_block_with_the_vocabulary_columns(sst2):
    enc = TextEncoder("content", max_features=30).fit(sst2["content"])
    out = enc.transform(sst2["content"].iloc[:0])
    assert out.shape == (0, 30) and list(out.columns) == enc.names_out_
