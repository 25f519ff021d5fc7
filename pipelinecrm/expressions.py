"""SQL conditions the ORM does not write the way PostgreSQL plans best."""

from django.db.models import BooleanField, Expression, F, QuerySet, Subquery


class InSubqueryFirst(Expression):
    """``column IN (subquery)``, written on PostgreSQL as ``column = ANY(ARRAY(subquery))``.

    For a small subquery (a team's owners) over a large table (every deal): PostgreSQL
    then runs the subquery once, first, and reads the table through an index for each
    value it returned. With ``IN`` it may instead read the whole table and filter each row
    against the subquery, which grows with the table (docs/performance/board-page.md).
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, queryset: QuerySet) -> None:
        super().__init__()
        self.column = F(column)
        self.subquery = Subquery(queryset)

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, expressions) -> None:
        self.column, self.subquery = expressions

    def resolve_expression(
        self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False
    ):
        clone = self.copy()
        clone.column = self.column.resolve_expression(query, allow_joins, reuse, summarize)
        clone.subquery = self.subquery.resolve_expression(query, allow_joins, reuse, summarize)
        return clone

    def _sides(self, compiler):
        column, column_params = compiler.compile(self.column)
        subquery, subquery_params = compiler.compile(self.subquery)
        return column, subquery, (*column_params, *subquery_params)

    def as_sql(self, compiler, connection):
        column, subquery, params = self._sides(compiler)
        return f"{column} IN {subquery}", params

    def as_postgresql(self, compiler, connection):
        column, subquery, params = self._sides(compiler)
        return f"{column} = ANY(ARRAY{subquery})", params
