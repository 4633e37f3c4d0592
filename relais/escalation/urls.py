from django.urls import path

from relais.escalation import views

app_name = "escalation"

urlpatterns = [path("<str:token>", views.ack_page, name="ack")]
