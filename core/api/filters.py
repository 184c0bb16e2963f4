"""The API's filter backend: django-filter's, with the generated filter sets kept."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, with two savings measured on the application list
    (docs/benchmarks.md, section 1):

    - For a view that names ``filterset_fields``, django-filter builds a new ``FilterSet``
      class (a metaclass run over the model's fields) on every request. The class depends only
      on the view and the model, so it is built once per process and kept.
    - A request that names none of the filters is not filtered: building and validating the
      filter form (a new form class each time) then changes nothing.
    """

    _generated: dict[tuple[type, type], type] = {}

    def get_filterset_class(self, view, queryset=None):
        if getattr(view, "filterset_class", None) or queryset is None:
            return super().get_filterset_class(view, queryset)
        key = (type(view), queryset.model)
        if key not in self._generated:
            self._generated[key] = super().get_filterset_class(view, queryset)
        return self._generated[key]

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        # A filter may read several parameters, each starting with its name (``x_min``,
        # ``x_after``): any parameter that starts with a filter's name goes through the form.
        names = tuple(filterset_class.base_filters)
        if not any(param.startswith(names) for param in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)
