"""Rebuild assist/classify/model.joblib from assist/classify/data/train.jsonl (fixed seed: reproducible)."""

from django.core.management.base import BaseCommand

from assist.classify.model import MODEL_PATH, examples_load, model_save, model_train


class Command(BaseCommand):
    help = "Train the offline topic and tone classifier from the shipped training set and save it."

    def handle(self, *args: object, **options: object) -> None:
        examples = examples_load(part="train")
        model = model_train(examples=examples)
        model_save(model=model)
        self.stdout.write(f"trained on {len(examples)} messages; saved {MODEL_PATH.name}")
