from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from deals.models import Activity, Deal, Notification, Organization, Person
from deals.selectors.filters import BoardFilters, deals_filtered
from pipelines.models import ActivityKind

ID = {"min_value": 1}


class DealFilter(filters.FilterSet):
    """The deals list's filters: the board's (owner, stalled, closing, q) plus status,
    pipeline, stage and an expected-close-date range (docs/domain/board.md), and the
    custom fields' ``cf_<key>`` filters as the Deals page writes them
    (deals/selectors/custom_filters.py; docs/domain/custom-fields.md)."""

    pipeline = filters.NumberFilter(**ID)
    stage = filters.NumberFilter(**ID)
    owner = filters.CharFilter(
        method="board_filter",
        validators=[RegexValidator(r"^(me|[0-9]{1,18})$", _("Give `me` or a user id."))],
        help_text="`me` or a user id.",
    )
    status = filters.ChoiceFilter(choices=Deal.Status.choices)
    stalled = filters.BooleanFilter(field_name="is_stalled")
    closing = filters.ChoiceFilter(
        choices=[("month", _("This month"))], method="board_filter", help_text="`month`"
    )
    expected_close_from = filters.DateFilter(field_name="expected_close_date", lookup_expr="gte")
    expected_close_to = filters.DateFilter(field_name="expected_close_date", lookup_expr="lte")
    q = filters.CharFilter(
        method="board_filter",
        max_length=100,
        help_text="Title, organization, person or a text custom field.",
    )

    class Meta:
        model = Deal
        fields = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        pipeline = self.form.cleaned_data.get("pipeline")
        custom = BoardFilters.from_query(
            self.data, pipeline_id=int(pipeline) if pipeline else None
        ).custom
        if not custom:
            return queryset
        return deals_filtered(
            user=self.request.user, filters=BoardFilters(custom=custom), queryset=queryset
        )

    def board_filter(self, queryset, name, value):
        """Same meaning as on the board: one implementation, in deals.selectors.filters."""
        criteria = {
            "owner": {"owner": value},
            "closing": {"closing_this_month": value == "month"},
            "q": {"q": value},
        }[name]
        return deals_filtered(
            user=self.request.user, filters=BoardFilters(**criteria), queryset=queryset
        )


class OrganizationFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100)

    class Meta:
        model = Organization
        fields = ["q"]


class PersonFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", max_length=100, help_text="Name or email.")
    organization = filters.NumberFilter(**ID)

    class Meta:
        model = Person
        fields = ["q", "organization"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value))


class ActivityFilter(filters.FilterSet):
    deal = filters.NumberFilter(**ID)
    owner = filters.NumberFilter(**ID)
    kind = filters.ChoiceFilter(choices=ActivityKind.choices)
    done = filters.BooleanFilter(
        field_name="done_at", lookup_expr="isnull", exclude=True, help_text="Done or not yet."
    )

    class Meta:
        model = Activity
        fields = ["deal", "owner", "kind", "done"]


class NotificationFilter(filters.FilterSet):
    class Meta:
        model = Notification
        fields = ["is_read"]
