"""Delivery: the sync engine's demo-page routes (sync strip, timeline, fault buttons)."""

from django.urls import path

from projector import fault_views, views

app_name = "projector"
urlpatterns = [
    path("demo/sync/", views.sync_strip, name="sync"),
    path("demo/timeline/", views.timeline, name="timeline"),
    path("demo/projector/pause/", views.pause, name="pause"),
    path("demo/projector/resume/", views.resume, name="resume"),
    path("demo/faults/poison/", fault_views.poison, name="poison"),
    path("demo/faults/cure/", fault_views.cure, name="cure"),
    path("demo/faults/corrupt/", fault_views.corrupt, name="corrupt"),
    path("demo/faults/reconcile/", fault_views.reconcile_accounts, name="reconcile"),
    path("demo/faults/replay/", fault_views.replay_all, name="replay"),
    path("demo/deadletters/<uuid:event_id>/retry/", fault_views.retry, name="retry"),
    path("demo/deadletters/<uuid:event_id>/skip/", fault_views.skip, name="skip"),
]
