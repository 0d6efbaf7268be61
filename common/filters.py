import django_filters


def choice_filter(choices, *, noun: str, **kwargs) -> django_filters.ChoiceFilter:
    """A ChoiceFilter whose error says which values would have been accepted."""
    values = ", ".join(value for value, _ in choices)
    return django_filters.ChoiceFilter(
        choices=choices,
        error_messages={"invalid_choice": f"'%(value)s' is not a {noun}; use one of {values}."},
        **kwargs,
    )
