import pytest

# Shape checks shared by several test files: keep pytest's detailed assertion messages.
pytest.register_assert_rewrite("tests.shapes")
