"""The pure parts of training: the schedule, the data order, AuthorPred pairs, batching."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghostwriter.train.pairs import (AUTHOR_PRED_INSTRUCTION, BatchOrder, Encoded, author_pred_pairs, collate,
                                     mix_one_to_one)
from ghostwriter.train.schedule import warmup_inverse_sqrt


@pytest.mark.parametrize("step, warmup, expected", [
    (0, 10, 0.1), (4, 10, 0.5), (9, 10, 1.0),  # linear warm-up reaches the base rate at step `warmup`
    (39, 10, 0.5), (99, 10, 0.31622776601683794), (999, 10, 0.1),  # then sqrt(warmup / step)
    (0, 0, 1.0), (3, 0, 0.5),  # no warm-up: plain inverse square root
])
def test_warmup_inverse_sqrt_golden_values(step, warmup, expected):
    assert warmup_inverse_sqrt(step, warmup) == pytest.approx(expected)


@given(st.integers(1, 200))
def test_schedule_peaks_at_the_end_of_warmup(warmup):
    values = [warmup_inverse_sqrt(s, warmup) for s in range(3 * warmup)]
    assert max(values) == pytest.approx(1.0) and values.index(max(values)) == warmup - 1
    assert all(a <= b for a, b in zip(values[:warmup], values[1:warmup]))
    assert all(a >= b for a, b in zip(values[warmup:], values[warmup + 1:]))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 500), min_size=1, max_size=120), st.integers(1, 9), st.integers(0, 5))
def test_batch_order_is_a_pure_function_of_seed_and_step(lengths, batch_size, seed):
    order, again = BatchOrder(lengths, batch_size, seed), BatchOrder(lengths, batch_size, seed)
    steps = range(3 * order.per_epoch)
    assert [order.batch(k) for k in steps] == [again.batch(k) for k in reversed(steps)][::-1]
    epoch = [i for k in range(order.per_epoch) for i in order.batch(k)]
    assert len(epoch) == len(set(epoch)) == order.per_epoch * order.batch_size  # no pair twice per epoch


def test_batches_group_similar_lengths():
    lengths = [10, 500] * 64
    order = BatchOrder(lengths, 4, seed=0)
    mixed = sum(len({lengths[i] for i in order.batch(k)}) > 1 for k in range(order.per_epoch))
    assert mixed <= 2  # bucketing: almost every batch is all-short or all-long


def test_author_pred_pairs_are_half_positive_and_only_from_given_users():
    docs = {"alice": ["a1 text", "a2 text", "a3 text"], "bob": ["b1 text", "b2 text"], "carol": ["c1 text"]}
    owner = {text: user for user, texts in docs.items() for text in texts}
    pairs = author_pred_pairs(docs, 40, seed=3)
    assert len(pairs) == 40 and sum(t == "true" for _, t in pairs) == 20
    for prompt, label in pairs:
        assert prompt.startswith(AUTHOR_PRED_INSTRUCTION)
        first = prompt.split("Passage 1: ")[1].split("\n")[0]
        second = prompt.split("Passage 2: ")[1].split("\n")[0]
        assert first != second or label == "false"
        assert (owner[first] == owner[second]) == (label == "true")
    assert author_pred_pairs(docs, 40, seed=3) == pairs


def test_author_pred_needs_two_users():
    with pytest.raises(ValueError, match="two users"):
        author_pred_pairs({"alice": ["a", "b"]}, 4, seed=0)


def test_mix_one_to_one_alternates_tasks():
    mixed = mix_one_to_one([("g1", "x"), ("g2", "y"), ("g3", "z")], [("a1", "true"), ("a2", "false")])
    assert [p for p, _ in mixed] == ["g1", "a1", "g2", "a2"]


def test_collate_puts_loss_on_target_tokens_only():
    items = [Encoded((5, 6, 7), (8, 9)), Encoded((5,), (8,))]
    causal = collate(items, is_seq2seq=False, pad_id=0)
    assert causal["input_ids"].tolist() == [[5, 6, 7, 8, 9], [5, 8, 0, 0, 0]]
    assert causal["labels"].tolist() == [[-100, -100, -100, 8, 9], [-100, 8, -100, -100, -100]]
    assert causal["attention_mask"].tolist() == [[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]
    seq2seq = collate(items, is_seq2seq=True, pad_id=0)
    assert seq2seq["input_ids"].tolist() == [[5, 6, 7], [5, 0, 0]]
    assert seq2seq["labels"].tolist() == [[8, 9], [8, -100]]
