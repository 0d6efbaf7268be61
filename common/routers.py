from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes that match with or without a trailing slash.

    The seed's API has no trailing slashes and DRF's convention has them; scripts written
    against either keep working, and no POST is lost to a redirect.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
