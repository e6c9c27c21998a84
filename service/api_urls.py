from django.urls import path

from service import apis

app_name = "service-api"

urlpatterns = [
    path("response-times", apis.ResponseTimesApi.as_view(), name="response-times"),
]
