"""Delivery: the read side's demo-page routes."""

from django.urls import path

from accounts_read import views

app_name = "accounts_read"
urlpatterns = [
    path("demo/read/", views.read_pane, name="pane"),
]
