"""Rebuild assist/classify/model.joblib from assist/classify/data/train.jsonl (fixed seed: reproducible)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assist.classify.model import MODEL_PATH, examples_load, model_save, model_train


class Command(BaseCommand):
    help = "Train the offline topic and tone classifier from the shipped training set and save it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=MODEL_PATH, help="where to write the model file")

    def handle(self, *args: object, **options: Any) -> None:
        examples = examples_load(part="train")
        model = model_train(examples=examples)
        model_save(model=model, path=options["output"])
        self.stdout.write(f"trained on {len(examples)} messages; saved {options['output'].name}")
