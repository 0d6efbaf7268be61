from agents.api import AgentViewSet
from common.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("agents", AgentViewSet, basename="agent")

urlpatterns = router.urls
