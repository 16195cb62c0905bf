"""Delivery: the sync engine's demo-page routes (sync strip, timeline, fault buttons)."""

from django.urls import path

from projector import views

app_name = "projector"
urlpatterns = [
    path("demo/sync/", views.sync_strip, name="sync"),
    path("demo/timeline/", views.timeline, name="timeline"),
    path("demo/projector/pause/", views.pause, name="pause"),
    path("demo/projector/resume/", views.resume, name="resume"),
]
