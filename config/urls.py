from django.urls import include, path

urlpatterns = [
    path("", include("relais.ui.urls")),
]
