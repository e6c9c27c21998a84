from django.urls import path

from service import views

app_name = "service"

urlpatterns = [
    path("", views.reports_page, name="reports"),
]
