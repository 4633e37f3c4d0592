"""The project's URLs plus the delivery app's, mounted where config/urls.py mounts them."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(p, "namespace", None) == "delivery" for p in urlpatterns):
    urlpatterns.insert(0, path("delivery/", include("relais.delivery.urls")))
