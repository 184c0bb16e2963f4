"""The workflow's web pages, one module per kind of work. Views only translate: they read
through ``workflow.selectors``, write through ``workflow.services`` and map domain errors to
the page (``access.middleware`` handles what a view leaves)."""
