"""The offline classifier: TF-IDF of lemmas and character n-grams, one logistic regression per task.

Trained by `manage.py train_classifier` from data/train.jsonl; the fitted model ships as model.joblib and is
loaded once per process on first use (not when Django imports the app).
"""

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import joblib
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from assist.compliance.text import analyse, fold_case

from .labels import SENTIMENTS, TOPICS

DATA_DIRECTORY = Path(__file__).resolve().parent / "data"
MODEL_PATH = Path(__file__).resolve().parent / "model.joblib"
SEED = 20261130
_TOKEN_SPLIT = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Example:
    text: str
    topic: str
    sentiment: str


@dataclass(frozen=True)
class Classification:
    topic: str
    sentiment: str


def lemmatise(text: str) -> str:
    """Lemmas joined by spaces: "возврата", "вернула" and "верните" count with their base forms."""
    return " ".join(analyse(word)[1] for word in _TOKEN_SPLIT.findall(fold_case(text)))


def examples_load(*, part: str) -> list[Example]:
    path = DATA_DIRECTORY / f"{part}.jsonl"
    with path.open(encoding="utf-8") as lines:
        return [Example(**json.loads(line)) for line in lines if line.strip()]


def _pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            ("lemmas", TfidfVectorizer(preprocessor=lemmatise, ngram_range=(1, 2), sublinear_tf=True)),
            # Character n-grams catch typos, word endings and emoji ("пришол", "😡") that lemmas miss.
            (
                "characters",
                TfidfVectorizer(
                    preprocessor=fold_case,
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    min_df=2,
                ),
            ),
        ]
    )
    classifier = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=SEED)
    return Pipeline([("features", features), ("classifier", classifier)])


def model_train(*, examples: list[Example]) -> dict[str, Pipeline]:
    texts = [example.text for example in examples]
    topic = _pipeline().fit(texts, [example.topic for example in examples])
    sentiment = _pipeline().fit(texts, [example.sentiment for example in examples])
    return {"topic": topic, "sentiment": sentiment}


def model_save(*, model: dict[str, Pipeline], path: Path = MODEL_PATH) -> None:
    for pipeline in model.values():
        for _name, vectorizer in pipeline.named_steps["features"].transformer_list:
            # Run-to-run noise that predictions never read: the terms pruned by min_df (a set, pickled in
            # hash order) and a memory address; without them a rebuild gives the same bytes.
            for attribute in ("stop_words_", "_stop_words_id"):
                if hasattr(vectorizer, attribute):
                    delattr(vectorizer, attribute)
    joblib.dump(model, path, compress=3)


_lock = threading.Lock()
_loaded: dict[str, Pipeline] | None = None


def model_load() -> dict[str, Pipeline]:
    """The shipped model, loaded once per process."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = joblib.load(MODEL_PATH)
    return _loaded


def texts_classify(*, texts: list[str], model: dict[str, Pipeline] | None = None) -> list[Classification]:
    if not texts:
        return []
    model = model or model_load()
    topics = model["topic"].predict(texts)
    sentiments = model["sentiment"].predict(texts)
    result = []
    for topic, sentiment in zip(topics, sentiments, strict=True):
        # A model file from elsewhere must still answer only with the codes of §16.
        result.append(
            Classification(
                topic=topic if topic in TOPICS else "other",
                sentiment=sentiment if sentiment in SENTIMENTS else "neutral",
            )
        )
    return result
