"""Delivery: the write side's demo-page routes (the command forms are routed by the page shell)."""

from django.urls import path

from accounts_write import views

app_name = "accounts_write"
urlpatterns = [
    path("demo/write/", views.write_pane, name="pane"),
]
