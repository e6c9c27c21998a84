import csv
import io

from chatcenter.csv_export import csv_lines


def _read(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_strings_that_start_a_formula_become_text_and_numbers_stay_numbers():
    text = "".join(
        csv_lines(
            header=["text", "number"],
            rows=[
                ["=1+1", "+7 999", "-2", "@SUM(A1)", "\tx", "\rx", "Иван", "a=b", ""],
                [-5, -0.5, 0, 12, None, 3.25],
            ],
        )
    )
    assert _read(text) == [
        ["text", "number"],
        ["'=1+1", "'+7 999", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "Иван", "a=b", ""],
        ["-5", "-0.5", "0", "12", "", "3.25"],
    ]
