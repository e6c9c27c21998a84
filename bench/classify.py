"""Topic and tone: the shipped offline model on the held-out set (never used for training or tuning).

Prints accuracy and macro-F1 per task, where the errors go (true -> predicted, most frequent first), and the
latency per message: one message at a time (as a batch of one) and in batches of 20 (as the background run
classifies), after a warm-up pass that loads the model and fills the lemma cache.
"""

import statistics
import time
from collections import Counter

from sklearn.metrics import accuracy_score, f1_score

from assist.classify.model import examples_load, model_load, texts_classify

BATCH = 20


def run(*, repeat: int = 3) -> bool:
    started = time.perf_counter()
    model_load()
    print(f"model loaded in {time.perf_counter() - started:.2f} s")
    train = examples_load(part="train")
    test = examples_load(part="test")
    texts = [example.text for example in test]
    print(f"held-out set: {len(test)} messages (trained on {len(train)})")
    predicted = texts_classify(texts=texts)
    for task in ("topic", "sentiment"):
        truth = [getattr(example, task) for example in test]
        guess = [getattr(answer, task) for answer in predicted]
        accuracy = accuracy_score(truth, guess)
        macro_f1 = f1_score(truth, guess, average="macro")
        print(f"{task:<10} accuracy {accuracy:.3f}  macro-F1 {macro_f1:.3f}")
        confusions = Counter(
            (true, guessed) for true, guessed in zip(truth, guess, strict=True) if true != guessed
        )
        summary = ", ".join(
            f"{true}->{guessed} x{count}" for (true, guessed), count in confusions.most_common(6)
        )
        print(f"{'':<10} errors: {summary or 'none'}")
    single = []
    for _ in range(repeat):
        for text in texts:
            begin = time.perf_counter()
            texts_classify(texts=[text])
            single.append((time.perf_counter() - begin) * 1000)
    batched = []
    for _ in range(repeat):
        for start in range(0, len(texts), BATCH):
            chunk = texts[start : start + BATCH]
            begin = time.perf_counter()
            texts_classify(texts=chunk)
            batched.append((time.perf_counter() - begin) * 1000 / len(chunk))
    quantiles = statistics.quantiles(single, n=20)
    print(
        f"latency one at a time: median {statistics.median(single):.2f} ms, p95 {quantiles[18]:.2f} ms per message"
    )
    print(f"latency in batches of {BATCH}: median {statistics.median(batched):.2f} ms per message")
    return True
