from __future__ import annotations

from rest_framework.pagination import PageNumberPagination

from scribe.core.exceptions import InvalidInput


class PagePagination(PageNumberPagination):
    """``?page=N&page_size=M`` (max 100) answering ``{count, next, previous, results}``.

    A ``page_size`` that is not a whole number of at least 1 (``false``, ``null``, empty)
    is a 400, as the schema says, rather than silently the default; above the maximum
    it is the maximum.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        raw = values[-1]
        if len(values) > 1 or not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            message = f"Must be a whole number from 1 to {self.max_page_size}."
            raise InvalidInput(errors={self.page_size_query_param: [message]})
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_size_query_param, self.page_query_param):
                parameter["schema"].update({"minimum": 1})
        return parameters
