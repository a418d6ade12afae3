"""Models renewed between batches once their vocabularies have grown (bounded memory)."""

from __future__ import annotations


def test_models_are_renewed_once_their_strings_outgrow_the_limit() -> None:
    from chartvault.pipeline.understand import default_models, renew_models

    default_models.cache_clear()
    classifier, extractor = default_models(None)
    assert not renew_models(limit=300)  # just loaded
    extractor.extract("Patient: Zqxwv, Yzzy  MRN 99887766")
    assert not renew_models(limit=300)  # a few strings more: below the limit
    extractor.extract(" ".join(f"Zq{i}xw MRN {9_000_000 + i}" for i in range(400)))
    assert renew_models(limit=300)
    fresh = default_models(None)
    assert fresh[0] is not classifier and fresh[1] is not extractor
    assert not renew_models(limit=300)  # counted afresh from the reload
