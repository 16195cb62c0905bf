"""Names vulture reports as unused that frameworks use: `make lint` passes this file to vulture.

Each entry names where the framework reads it. Regenerate the candidates with
`.venv/bin/vulture $(VULTURE_PATHS) --min-confidence 100 --make-whitelist`, then keep only the
framework-bound ones here.
"""

# Django's admin calls these with the signature it defines.
post_url_continue  # config/admin.py: ModelAdmin.response_add(request, obj, post_url_continue)
form_url  # projector/admin_outbox.py: ModelAdmin.changeform_view(request, object_id, form_url, ...)

# signal.signal passes (signum, frame) to a handler.
signum  # projector/management/commands/runprojector.py, tests/mongo_standin/__main__.py
frame  # the same handlers

# django-environ's Env.get_value signature (config/settings/base.py overrides it).
parse_default

# pytest fixtures requested only for their effect (a service down, faults on, a transactional db).
mongo_down
unreachable_mongo
faults_on
transactional_db
exc_info  # the *exc_info of a context manager's __exit__
