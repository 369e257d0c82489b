"""Generations to and from JSON, with every intermediate (ranking, summary, words, prompt)."""
from __future__ import annotations

from ghostwriter.records import Generation, Prepared, RankedEntry, Ranking, SynthesizedWord


def generation_to_json(generation: Generation) -> dict:
    p = generation.prepared
    ranking = None if p.ranking is None else {
        "example_id": p.ranking.example_id, "ranker": p.ranking.ranker,
        "entries": [{"doc_id": e.doc_id, "score": e.score, "start": e.start, "end": e.end, "text": e.text}
                    for e in p.ranking.entries]}
    return {"example_id": generation.example_id, "variant": generation.variant, "text": generation.text,
            "prepared": {"example_id": p.example_id, "variant": p.variant, "context": p.context, "ranking": ranking,
                         "ranked_ids": [e.doc_id for e in p.ranking.entries] if p.ranking else [],
                         "summary": p.summary, "words": [[w.word, w.source, w.score] for w in p.words],
                         "prompt": p.prompt, "prompt_tokens": p.prompt_tokens}}


def generation_from_json(row: dict) -> Generation:
    p = row["prepared"]
    ranking = None if p["ranking"] is None else Ranking(
        p["ranking"]["example_id"], p["ranking"]["ranker"],
        tuple(RankedEntry(**e) for e in p["ranking"]["entries"]))
    prepared = Prepared(p["example_id"], p["variant"], p["context"], ranking, p["summary"],
                        tuple(SynthesizedWord(w, s, float(v)) for w, s, v in p["words"]), p["prompt"],
                        int(p["prompt_tokens"]))
    return Generation(row["example_id"], row["variant"], row["text"], prepared)
